#!/usr/bin/env python3
"""Writes Tests/Fixtures/chat-templates/: real chat templates (<name>.jinja) and expected.json, the text
transformers' `apply_chat_template(..., tokenize=False)` makes of a fixed set of conversations with each, with
and without `add_generation_prompt`, and with tool definitions, tool calls and tool results where the template
supports them.

    python tools/make_chat_template_fixture.py [--llama-cpp <llama.cpp git dir>] [--gguf <SmolLM2 GGUF>]

With --llama-cpp (a clone or bare mirror of ggml-org/llama.cpp or a fork that has models/templates/) and --gguf,
the templates are (re)read from their sources; without, the committed .jinja files are rendered again. Rendering
goes through transformers' own `render_jinja_template` (transformers 5.x, jinja2 >= 3.1.6), given what
`apply_chat_template` gives it: the messages with None values dropped, `tools`, and the tokenizer's special
tokens as variables. `strftime_now` is pinned to STRFTIME_NOW so the Llama 3.2 output does not depend on the day.
"""
import argparse
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import transformers
from transformers.utils import chat_template_utils
from transformers.utils.chat_template_utils import _normalize_chat_messages, render_jinja_template

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Tests" / "Fixtures" / "chat-templates"
DEFAULT_GGUF = "~/.cache/remask/models/SmolLM2-135M-Instruct.Q4_1.gguf"
# The local time `strftime_now` reports while rendering; the Swift test passes the same wall-clock time.
STRFTIME_NOW = datetime.datetime(2026, 3, 7, 9, 5, 0)

# name -> where the template comes from, the tokenizer's bos/eos tokens (None: the tokenizer has none, so the
# variable is not passed), and whether the template renders tools.
TEMPLATES = {
    "smollm2": dict(source="gguf", bos="<|im_start|>", eos="<|im_end|>", tools=False,
                    origin="tokenizer.chat_template of SmolLM2-135M-Instruct.Q4_1.gguf (HuggingFaceTB/SmolLM2-135M-Instruct)"),
    "gemma3": dict(source="swift", bos="<bos>", eos="<eos>", tools=False,
                   origin="google/gemma-3-*-it tokenizer_config.json chat_template, as transcribed in "
                          "Sources/Models/Loading/DefaultChatTemplate.swift"),
    "qwen2.5": dict(source="models/templates/Qwen-Qwen2.5-7B-Instruct.jinja", bos=None, eos="<|im_end|>", tools=True),
    "qwen3": dict(source="models/templates/Qwen-Qwen3-0.6B.jinja", bos=None, eos="<|im_end|>", tools=True),
    "llama3.1": dict(source="models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja", bos="<|begin_of_text|>",
                     eos="<|eot_id|>", tools=True),
    "llama3.2": dict(source="models/templates/meta-llama-Llama-3.2-3B-Instruct.jinja", bos="<|begin_of_text|>",
                     eos="<|eot_id|>", tools=True),
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city. Temperatures in °C or °F.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Paris\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "threshold": {"type": "number", "default": 0.5},
            },
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Searches the web.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


def call(name, arguments, call_id=None):
    """A tool call in OpenAI's shape, keys in the order remask's ChatToolCall gives the template."""
    call = {"id": call_id} if call_id else {}
    call.update({"type": "function", "function": {"name": name, "arguments": arguments}})
    return call


def conversations(name: str, spec: dict) -> list[dict]:
    system = {"role": "system", "content": "You are a helpful assistant."}
    turns = [
        {"role": "user", "content": "Héllo! 👋"},
        {"role": "assistant", "content": "Hi there! How can I help?"},
        {"role": "user", "content": "  Tell me a joke.\n"},
    ]
    cases = [
        dict(name="system_multi_turn", messages=[system] + turns),
        dict(name="no_system", messages=turns),
        dict(name="single_user", messages=[{"role": "user", "content": "What is 2 + 2?"}]),
    ]
    if not spec["tools"]:
        return cases
    weather_call = call("get_weather", {"city": "Paris", "unit": "celsius", "days": 2, "threshold": 0.25}, "call_1")
    tool_turns = [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [weather_call]},
        {"role": "tool", "content": "{\"temperature\": 18.5, \"sky\": \"cloudy <&>\"}", "tool_call_id": "call_1",
         "name": "get_weather"},
        {"role": "assistant", "content": "It is 18.5 °C and cloudy in Paris."},
    ]
    cases += [
        dict(name="tools", messages=[system] + tool_turns, tools=[WEATHER_TOOL, SEARCH_TOOL]),
        dict(name="tools_no_system", messages=[{"role": "user", "content": "Search for Swift 6."}],
             tools=[SEARCH_TOOL]),
        dict(name="tool_call_without_tools", messages=tool_turns),
    ]
    if name.startswith("llama"):
        cases += [
            dict(name="tools_in_system_message", messages=[system] + tool_turns, tools=[WEATHER_TOOL],
                 kwargs={"tools_in_user_message": False, "date_string": "04 Dec 2026"}),
            dict(name="date_string", messages=[system] + turns, kwargs={"date_string": "01 Jan 2025"}),
        ]
    else:
        parallel = [
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "assistant", "content": "Let me check both.",
             "tool_calls": [call("get_weather", {"city": "Paris"}), call("get_weather", "{\"city\": \"Rome\"}")]},
            {"role": "tool", "content": "sunny"},
            {"role": "tool", "content": "rainy"},
            {"role": "assistant", "content": "Paris is sunny; Rome is rainy."},
            {"role": "user", "content": "Thanks!"},
        ]
        cases.append(dict(name="parallel_tool_calls", messages=parallel, tools=[WEATHER_TOOL]))
    if name == "qwen3":
        cases += [
            dict(name="think_in_content", messages=[
                {"role": "user", "content": "How many r's in strawberry?"},
                {"role": "assistant", "content": "<think>\ns-t-r-a-w-b-e-r-r-y: three.\n</think>\n\nThere are 3."},
                {"role": "user", "content": "And in raspberry?"},
                {"role": "assistant", "content": "<think>\nr-a-s-p-b-e-r-r-y.\n</think>\n\nThere are 3 as well."},
            ]),
            dict(name="reasoning_content", messages=[
                {"role": "user", "content": "Is 7 prime?"},
                {"role": "assistant", "content": "\nYes, 7 is prime.", "reasoning_content": "\nIt has no divisors but 1 and 7.\n"},
            ]),
            dict(name="enable_thinking_false", messages=[{"role": "user", "content": "Hi"}],
                 kwargs={"enable_thinking": False}),
        ]
    return cases


def read_templates(args) -> dict[str, str]:
    templates = {}
    commit = None
    for name, spec in TEMPLATES.items():
        path = OUT_DIR / f"{name}.jinja"
        if spec["source"] == "gguf" and args.gguf:
            from gguf import GGUFReader
            field = GGUFReader(str(Path(args.gguf).expanduser())).fields["tokenizer.chat_template"]
            templates[name] = bytes(field.parts[field.data[0]]).decode("utf-8")
        elif spec["source"] == "swift" and (args.gguf or args.llama_cpp):
            swift = (ROOT / "Sources/Models/Loading/DefaultChatTemplate.swift").read_text(encoding="utf-8")
            templates[name] = re.search(r'static let gemma3 = #"""\n(.*?)\n"""#', swift, re.S).group(1)
        elif spec["source"].startswith("models/") and args.llama_cpp:
            git = ["git", "--git-dir", args.llama_cpp]
            commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
            templates[name] = subprocess.run(git + ["show", f"HEAD:{spec['source']}"], capture_output=True,
                                             text=True, check=True).stdout
        else:
            templates[name] = path.read_text(encoding="utf-8")
            continue
        path.write_text(templates[name], encoding="utf-8")
        if spec["source"].startswith("models/"):
            spec["origin"] = f"llama.cpp {spec['source']} at commit {commit} ({args.llama_cpp_name})"
    return templates


def render(template: str, spec: dict, case: dict, add_generation_prompt: bool):
    special = {key: value for key, value in (("bos_token", spec["bos"]), ("eos_token", spec["eos"])) if value}
    rendered, _ = render_jinja_template(
        conversations=[_normalize_chat_messages(case["messages"])], tools=case.get("tools"), documents=None,
        chat_template=template, add_generation_prompt=add_generation_prompt, **special, **case.get("kwargs", {}))
    return rendered[0]


class FixedDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return STRFTIME_NOW


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llama-cpp", help="git dir of llama.cpp with models/templates/")
    parser.add_argument("--llama-cpp-name", default="ggml-org/llama.cpp",
                        help="the repository --llama-cpp is a copy of, recorded as the templates' origin")
    parser.add_argument("--gguf", help=f"SmolLM2 GGUF to read its template from (e.g. {DEFAULT_GGUF})")
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    previous = json.loads((OUT_DIR / "expected.json").read_text()) if (OUT_DIR / "expected.json").exists() else {}
    templates = read_templates(args)
    chat_template_utils.datetime = FixedDatetime  # what `strftime_now` reads
    out = {"generator": "tools/make_chat_template_fixture.py", "transformers": transformers.__version__,
           "jinja2": jinja2.__version__, "strftime_now": STRFTIME_NOW.isoformat(), "templates": {}}
    for name, spec in TEMPLATES.items():
        origin = spec.get("origin") or previous.get("templates", {}).get(name, {}).get("origin")
        cases = []
        for case in conversations(name, spec):
            case = dict(case)
            case["expected"] = render(templates[name], spec, case, False)
            case["expected_with_generation_prompt"] = render(templates[name], spec, case, True)
            cases.append(case)
        out["templates"][name] = {"file": f"{name}.jinja", "origin": origin, "bos_token": spec["bos"],
                                  "eos_token": spec["eos"], "cases": cases}
        print(f"{name}: {len(cases)} conversations", file=sys.stderr)
    (OUT_DIR / "expected.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
