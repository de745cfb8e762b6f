"""End-to-end checks of `remask serve` through the official openai client and raw HTTP.

Usage: python test_serve.py BASE_URL   (e.g. http://127.0.0.1:8080/v1)
"""
import json
import sys
import urllib.error
import urllib.request

import openai
from openai import OpenAI

BASE = sys.argv[1].rstrip("/")
ROOT = BASE.removesuffix("/v1")  # the tokenizer endpoints live at the root, as in vLLM
client = OpenAI(base_url=BASE, api_key="unused", max_retries=0, timeout=120)
MODEL = client.models.list().data[0].id
USER = [{"role": "user", "content": "What is the capital of France?"}]


def post_raw(url, body):
    """POST `body` (bytes) as it is; returns (status, parsed JSON)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def check_chat():
    reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=24, temperature=0)
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content, reply
    assert choice.finish_reason in ("stop", "length"), choice.finish_reason
    assert reply.usage.prompt_tokens > 0 and 0 < reply.usage.completion_tokens <= 24, reply.usage
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    print(f"chat: {choice.message.content!r} ({choice.finish_reason})")

    seeded = [client.chat.completions.create(model=MODEL, messages=USER, max_tokens=16, temperature=0.9, seed=7).choices[0].message.content
              for _ in range(2)]
    assert seeded[0] == seeded[1], seeded
    stop = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=24, temperature=0, stop=["Paris"])
    assert "Paris" not in stop.choices[0].message.content, stop
    return choice.message.content


def check_chat_stream(expected):
    chunks = list(client.chat.completions.create(model=MODEL, messages=USER, max_tokens=24, temperature=0, stream=True,
                                                 stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected, (text, expected)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finishes) == 1, finishes
    assert chunks[-1].usage and chunks[-1].usage.completion_tokens > 0, chunks[-1]
    print(f"chat stream: {len(chunks)} chunks, same text as without streaming")


def check_completions():
    prompt = "The capital of France is"
    scored = client.completions.create(model=MODEL, prompt=prompt, max_tokens=0, echo=True, logprobs=1, temperature=0)
    choice = scored.choices[0]
    lp = choice.logprobs
    assert choice.text == prompt, choice.text
    assert "".join(lp.tokens) == prompt, lp.tokens
    assert lp.token_logprobs[0] is None and lp.top_logprobs[0] is None
    assert all(x < 0 for x in lp.token_logprobs[1:]), lp.token_logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == scored.usage.prompt_tokens
    assert lp.text_offset == sorted(lp.text_offset) and lp.text_offset[0] == 0
    for token, logprob, top in zip(lp.tokens[1:], lp.token_logprobs[1:], lp.top_logprobs[1:]):
        assert top[token] == logprob and max(top.values()) >= logprob, (token, logprob, top)
    print(f"completions echo: {len(lp.tokens)} prompt tokens, sum logprob {sum(lp.token_logprobs[1:]):.3f}")

    # lm-evaluation-harness's log-likelihood request: token ids (from the server's vLLM-style /tokenize), echo,
    # one generated token.
    status, tokenized = post_raw(ROOT + "/tokenize", json.dumps({"prompt": prompt, "add_special_tokens": False}).encode())
    assert status == 200 and tokenized["count"] == len(tokenized["tokens"]) > 0, tokenized
    ids = [tokenized["tokens"]]
    harness = client.completions.create(model=MODEL, prompt=ids, max_tokens=1, echo=True, logprobs=1, temperature=0)
    assert len(harness.choices[0].logprobs.token_logprobs) == len(ids[0]) + 1

    generated = client.completions.create(model=MODEL, prompt=[prompt, "1, 2, 3,"], max_tokens=6, temperature=0, logprobs=3)
    assert [c.index for c in generated.choices] == [0, 1]
    for c in generated.choices:
        assert c.text and len(c.logprobs.tokens) <= 6 and all(1 <= len(t) <= 4 for t in c.logprobs.top_logprobs), c
    assert generated.usage.completion_tokens == sum(len(c.logprobs.tokens) for c in generated.choices)
    streamed = "".join(c.choices[0].text for c in client.completions.create(model=MODEL, prompt=prompt, max_tokens=6, temperature=0, stream=True)
                       if c.choices)
    assert streamed == generated.choices[0].text, (streamed, generated.choices[0].text)
    print(f"completions: {[c.text for c in generated.choices]}")


def check_bad_requests():
    def refused(call, status=400):
        try:
            call()
        except openai.APIStatusError as error:
            assert error.status_code == status, (error.status_code, error.body)
            assert error.body["type"] and error.body["message"], error.body
            return error.body
        raise AssertionError("accepted")

    assert refused(lambda: client.chat.completions.create(model="no-such-model", messages=USER))["param"] == "model"
    assert refused(lambda: client.chat.completions.create(model=MODEL, messages=USER, n=2))["param"] == "n"
    assert refused(lambda: client.chat.completions.create(model=MODEL, messages=USER, temperature=3))["param"] == "temperature"
    assert refused(lambda: client.chat.completions.create(model=MODEL, messages=USER, top_p=0))["param"] == "top_p"
    assert refused(lambda: client.chat.completions.create(model=MODEL, messages=[]))["param"] == "messages"
    assert refused(lambda: client.completions.create(model=MODEL, prompt="hi", max_tokens=10**6))["code"] == "context_length_exceeded"
    for body in [b'{"messages": [', b'{"model": "x", "messages": "hi"}', b'[]', b'{"messages": [{"role": "user", "content": 3}]}', b'']:
        status, error = post_raw(BASE + "/chat/completions", body)
        assert status == 400 and error["error"]["type"] == "invalid_request_error", (body, status, error)
    status, error = post_raw(BASE + "/completions", b'{"prompt": "hi", "temperature": "warm"}')
    assert status == 400 and error["error"]["param"] == "temperature", error
    assert client.chat.completions.create(model=MODEL, messages=USER, max_tokens=2).choices, "still serving after bad requests"
    print("bad requests: 400 with OpenAI-style errors; still serving")


if __name__ == "__main__":
    check_completions()
    check_chat_stream(check_chat())
    check_bad_requests()
    print("serve e2e: all checks passed")
