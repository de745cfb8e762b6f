import Foundation
import XCTest
@testable import Models

/// Expected outputs were produced by Python's jinja2 3.1.6 rendering each template the way transformers'
/// `apply_chat_template` does: `ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`, with
/// `raise_exception` as a global and Hugging Face's `tojson` (`json.dumps(x, ensure_ascii=False)`), and
/// `bos_token="<s>"`, `eos_token="</s>"`.
final class ChatTemplateTests: XCTestCase {
    private let conversation = jinjaTestConversation
    private let alternationBroken = [
        ChatMessage(role: "user", content: "One"),
        ChatMessage(role: "user", content: "Two"),
    ]
    private let alternationMessage = "Conversation roles must alternate user/assistant/user/assistant/..."

    private func render(_ template: ChatTemplate, _ messages: [ChatMessage], generationPrompt: Bool) throws -> String {
        try template.render(messages: messages, addGenerationPrompt: generationPrompt, bosToken: "<s>", eosToken: "</s>")
    }

    /// Checks the output without and with `add_generation_prompt`.
    private func assertOutputs(_ template: ChatTemplate, _ messages: [ChatMessage], _ withoutPrompt: String,
                               _ withPrompt: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try render(template, messages, generationPrompt: false), withoutPrompt, file: file, line: line)
        XCTAssertEqual(try render(template, messages, generationPrompt: true), withPrompt, file: file, line: line)
    }

    private func assertError(_ kind: ChatTemplateError.Kind, _ body: () throws -> some Any, message: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? ChatTemplateError else {
                return XCTFail("not a ChatTemplateError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            if let message { XCTAssertEqual(error.message, message, file: file, line: line) }
        }
    }

    /// Hostile templates (they come inside model files) stop with an error instead of hanging or exhausting
    /// memory: nested loops over long strings, doubling by `~` and `+`, and `tojson` of a huge list.
    func testHostileTemplatesHitLimits() throws {
        let cases: [(String, String)] = [
            ("{% for a in 'x' * 10000000 %}{% for b in 'x' * 10000000 %}{% endfor %}{% endfor %}",
             "the template ran more than 1000000 loop iterations"),
            ("{% for a in 'x' * 10000000 if a == 'y' %}{% endfor %}", "the template ran more than 1000000 loop iterations"),
            ("{% set s = 'x' * 4000000 %}{% set a = s ~ s %}{% set b = a ~ a %}{{ b }}", "string result is too large"),
            ("{% set s = 'x' * 4000000 %}{% set a = s + s %}{% set b = a + a %}{{ b }}", "string result is too large"),
            ("{% set l = [1] * 8000000 %}{% set m = l + l %}{{ m | length }}", "list result is too large"),
            ("{% set l = ['x' * 1000000] * 1000 %}{{ l | tojson }}", "tojson result is too large"),
            ("{% set s = 'x' * 6000000 %}{{ s }}{{ s }}", "the output grew past 10000000 bytes"),
        ]
        for (source, message) in cases {
            let template = try ChatTemplate(source)
            assertError(.render, { try render(template, [], generationPrompt: false) }, message: message)
        }
    }

    // MARK: Real chat templates

    func testSmolLM2() throws {
        let template = try ChatTemplate("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
        try assertOutputs(
            template, conversation,
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\n  Tell me a joke.\n<|im_end|>\n",
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\n  Tell me a joke.\n<|im_end|>\n<|im_start|>assistant\n")
        try assertOutputs(
            template, Array(conversation.dropFirst()),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\n  Tell me a joke.\n<|im_end|>\n",
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\n  Tell me a joke.\n<|im_end|>\n<|im_start|>assistant\n")
        try assertOutputs(
            template, [],
            "",
            "<|im_start|>assistant\n")
    }

    func testZephyr() throws {
        let template = try ChatTemplate("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")
        try assertOutputs(
            template, conversation,
            "<|system|>\nYou are a helpful assistant.</s>\n<|user|>\nHéllo! 👋</s>\n<|assistant|>\nHi there! How can I help?</s>\n<|user|>\n  Tell me a joke.\n</s>\n",
            "<|system|>\nYou are a helpful assistant.</s>\n<|user|>\nHéllo! 👋</s>\n<|assistant|>\nHi there! How can I help?</s>\n<|user|>\n  Tell me a joke.\n</s>\n<|assistant|>\n")
        try assertOutputs(
            template, [],
            "",
            "")
    }

    /// A multi-line ChatML template indented for readability, relying on `{%-` and `{{-`; its string
    /// literals spell newlines as `\n` escapes.
    func testChatMLWithWhitespaceControl() throws {
        let template = try ChatTemplate("{%- for message in messages %}\n    {%- if loop.first and message['role'] != 'system' %}\n        {{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}\n    {{- '<|im_start|>' + message.role + '\\n' + message.content | trim + '<|im_end|>' + '\\n' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n")
        try assertOutputs(
            template, conversation,
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n",
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n<|im_start|>assistant\n")
        try assertOutputs(
            template, Array(conversation.dropFirst()),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n",
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHéllo! 👋<|im_end|>\n<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n<|im_start|>assistant\n")
        try assertOutputs(
            template, [],
            "",
            "<|im_start|>assistant\n")
    }

    func testLlama2() throws {
        let template = try ChatTemplate("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")
        try assertOutputs(
            template, conversation,
            "<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHéllo! 👋 [/INST] Hi there! How can I help? </s><s>[INST] Tell me a joke. [/INST]",
            "<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHéllo! 👋 [/INST] Hi there! How can I help? </s><s>[INST] Tell me a joke. [/INST]")
        try assertOutputs(
            template, Array(conversation.dropFirst()),
            "<s>[INST] Héllo! 👋 [/INST] Hi there! How can I help? </s><s>[INST] Tell me a joke. [/INST]",
            "<s>[INST] Héllo! 👋 [/INST] Hi there! How can I help? </s><s>[INST] Tell me a joke. [/INST]")
        assertError(.raised, { try render(template, alternationBroken, generationPrompt: true) }, message: alternationMessage)
        // `messages[0]['role']` on an empty list: item 0 is undefined, and indexing undefined is an error.
        assertError(.render, { try render(template, [], generationPrompt: false) },
                    message: "list object has no element 0")
    }

    func testLlama3() throws {
        let template = try ChatTemplate("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
        try assertOutputs(
            template, conversation,
            "<s><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHéllo! 👋<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there! How can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|>",
            "<s><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHéllo! 👋<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there! How can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        try assertOutputs(
            template, [],
            "",
            "<|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    func testGemma() throws {
        let template = try ChatTemplate("{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}")
        try assertOutputs(
            template, Array(conversation.dropFirst()),
            "<s><start_of_turn>user\nHéllo! 👋<end_of_turn>\n<start_of_turn>model\nHi there! How can I help?<end_of_turn>\n<start_of_turn>user\nTell me a joke.<end_of_turn>\n",
            "<s><start_of_turn>user\nHéllo! 👋<end_of_turn>\n<start_of_turn>model\nHi there! How can I help?<end_of_turn>\n<start_of_turn>user\nTell me a joke.<end_of_turn>\n<start_of_turn>model\n")
        assertError(.raised, { try render(template, conversation, generationPrompt: true) },
                    message: "System role not supported")
        assertError(.raised, { try render(template, alternationBroken, generationPrompt: false) }, message: alternationMessage)
        assertError(.render, { try render(template, [], generationPrompt: true) })
    }

    /// `{% set %}` at the top level, inside a filtered loop, and with an inline `if` without `else`.
    func testTemplateWithSet() throws {
        let template = try ChatTemplate("{% set separator = '\\n\\n' %}\n{% set system = messages[0]['content'] if messages and messages[0]['role'] == 'system' else 'You are a default assistant.' %}\n{{ bos_token }}System: {{ system | trim }}{{ separator }}\n{%- for message in messages if message.role != 'system' %}\n    {% set speaker = message.role | upper %}\n    {{ speaker }} ({{ loop.index }}/{{ loop.length }}): {{ message.content.strip() }}{{ separator if not loop.last }}\n{% endfor %}\n{% if add_generation_prompt %}\n{{ separator }}ASSISTANT:\n{%- endif %}")
        try assertOutputs(
            template, conversation,
            "<s>System: You are a helpful assistant.\n\n    USER (1/3): Héllo! 👋\n\n\n    ASSISTANT (2/3): Hi there! How can I help?\n\n\n    USER (3/3): Tell me a joke.\n",
            "<s>System: You are a helpful assistant.\n\n    USER (1/3): Héllo! 👋\n\n\n    ASSISTANT (2/3): Hi there! How can I help?\n\n\n    USER (3/3): Tell me a joke.\n\n\nASSISTANT:")
        try assertOutputs(
            template, [],
            "<s>System: You are a default assistant.\n\n",
            "<s>System: You are a default assistant.\n\n\n\nASSISTANT:")
    }

    // MARK: Jinja semantics

    /// Each case renders with `conversation`, the tokens, and `extra: ["name": "Ada"]`.
    func testExpressionsMatchJinja() {
        assertCasesMatchJinja([
            ("{{ none }}|{{ true }}|{{ False }}|{{ 42 }}|{{ -7 }}|{{ [1, 'a', none, true] }}|{{ {'k': 'v', 'n': [1]} }}",
             "None|True|False|42|-7|[1, 'a', None, True]|{'k': 'v', 'n': [1]}"),
            ("{{ [\"it's\", 'say \"hi\"', 'both \\'\"', 'tab\\t', 'nl\\n', '\\x7f\\u200b\\xa0é'] }}",
             "[\"it's\", 'say \"hi\"', 'both \\'\"', 'tab\\t', 'nl\\n', '\\x7f\\u200b\\xa0é']"),
            ("{{ 'a\\tb\\\\c\\'d\\\"e\\x41\\u00e9\\101\\q' }}|{{ \"dq 'sq'\" }}|{{ 'a' \"b\" 'c' }}|{{ 'multi\nline' }}",
             "a\tb\\c'd\"eAéA\\q|dq 'sq'|abc|multi\nline"),
            ("{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7 % -3 }}|{{ true + 1 }}|{{ 10 - 2 - 3 }}|{{ 1_000 + 1 }}|{{ --3 }}",
             "7|9|3|-4|2|-2|2|5|1001|3"),
            ("{{ +3 }}|{{ -(+2) }}|{{ 'ab' * 2 }}|{{ 2 * [1] }}|[{{ 'a' * -1 }}]|{{ true * 'x' }}|{{ 'y' if 1else 'n' }}|{{ [1, 'a'] < [1, 'b'] }}|{{ [1] < [1, 0] }}|{{ [2] > [1, 5] }}|{{ [] <= [] }}|{{ 0 in {'a': 1} }}",
             "3|-2|abab|[1, 1]|[]|x|y|True|True|True|True|False"),
            ("{{ 'x' ~ 2 * 3 }}|{{ 'n=' ~ messages | length }}|{{ 'a' + 'b' ~ 'c' }}|{{ 'A' ~ 1 ~ none ~ true ~ x }}|{{ [1] ~ {'a': 'b'} }}",
             "x6|n=4|abc|A1NoneTrue|[1]{'a': 'b'}"),
            ("{{ [1, 2] + [3] }}|{{ [1, 2, 3][1:] }}|{{ [1, 2, 3][-1] }}|{{ [1, 2, 3][::-1] }}|{{ 'hello'[1:3] }}|{{ 'hello'[-2:] }}|{{ 'hello'[::2] }}|{{ [1, 2, 3][5] }}|{{ [1, 2, 3][:-1] }}|{{ 'héllo'[1] }}|{{ [1, 2, 3][-10:10] }}|{{ [1, 2, 3, 4, 5][4:0:-2] }}|{{ 'abc'[5:] }}",
             "[1, 2, 3]|[2, 3]|3|[3, 2, 1]|el|lo|hlo||[1, 2]|é|[1, 2, 3]|[5, 3]|"),
            ("{{ messages[0].role }}|{{ messages[-1]['content'] }}|{{ messages[1:] | length }}|{{ messages[0] }}|{{ messages | length }}|{{ messages[0]['role'][0] }}|{{ messages.1.content }}",
             "system|  Tell me a joke.\n|3|{'role': 'system', 'content': 'You are a helpful assistant.'}|4|s|Héllo! 👋"),
            ("{{ 1 < 2 }}|{{ 'a' < 'b' }}|{{ 'B' < 'a' }}|{{ 1 == true }}|{{ 'a' != 'b' }}|{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ 2 >= 2 }}|{{ 'b' <= 'a' }}|{{ none == none }}|{{ [1, 2] == [1, 2] }}|{{ {'a': 1} == {'a': 1} }}|{{ x == x }}|{{ 'a' == 1 }}|{{ 0 == false }}",
             "True|True|True|True|True|True|False|True|False|True|True|True|True|False|True"),
            ("{{ 'ell' in 'hello' }}|{{ 2 in [1, 2] }}|{{ 'role' in messages[0] }}|{{ 'x' not in 'abc' }}|{{ 'role' not in messages[0] }}|{{ 'a' in x }}|{{ '' in 'abc' }}|{{ true in [1] }}",
             "True|True|True|True|False|False|True|True"),
            ("{{ 0 or 'z' }}|{{ 'a' and 'b' }}|{{ '' and 'b' }}|{{ not 'a' }}|{{ not not 0 }}|{{ none or [] }}|{{ x or 'fallback' }}|{{ not x }}|{{ 1 and 0 or 2 }}",
             "z|b||False|False|[]|fallback|True|2"),
            ("{{ 'y' if 1 else 'n' }}|{{ 'y' if 0 }}|{{ 'a' if false else 'b' if true else 'c' }}|{{ ('p' if x is defined else 'q') ~ '!' }}",
             "y||b|q!"),
            ("{{ x is defined }}|{{ name is defined }}|{{ x is undefined }}|{{ none is none }}|{{ 0 is none }}|{{ name is not none }}|{{ 'a' is string }}|{{ 1 is string }}|{{ 1 is number }}|{{ true is number }}|{{ true is integer }}|{{ 1 is integer }}|{{ true is boolean }}|{{ messages[0] is mapping }}|{{ messages is iterable }}|{{ 'a' is sequence }}|{{ 1 is iterable }}|{{ true is true }}|{{ 1 is true }}|{{ false is false }}|{{ x is iterable }}|{{ messages[0] is not mapping }}|{{ not x is defined }}",
             "False|True|True|True|False|True|True|False|True|True|False|True|True|True|True|True|False|True|False|True|True|False|True"),
            ("{{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'Héllo ß' | upper }}|{{ 'ABC' | lower }}|{{ 'héllo' | length }}|{{ messages | count }}|{{ x | length }}|{{ x | default('d') }}|{{ '' | default('d') }}|{{ '' | default('d', true) }}|{{ none | d('n') }}|[{{ x | default }}]|{{ name | upper | length }}|{{ messages[0] | length }}|{{ -1 | default(5) }}|{{ 5 | trim }}",
             "a b|a|HÉLLO SS|abc|5|4|0|d||d|None|[]|3|2|-1|5"),
            ("{{ 'é\\n\"\\\\</x>&\\u0001\\u001f' | tojson }}|{{ messages[0] | tojson }}|{{ [1, true, none, 'a', []] | tojson }}|{{ {} | tojson }}|{{ -3 | tojson }}",
             "\"é\\n\\\"\\\\</x>&\\u0001\\u001f\"|{\"role\": \"system\", \"content\": \"You are a helpful assistant.\"}|[1, true, null, \"a\", []]|{}|-3"),
            ("{{ '  hi  '.strip() }}|{{ '  hi  '.lstrip() }}|{{ '  hi  '.rstrip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith('lo') }}|{{ 'hello'.endswith('x') }}|{{ 'Hi'.upper() }}|{{ 'Hi'.lower() }}|{{ ' a  b\\tc\\n'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b'.split(none) }}|{{ 'a<>b<>'.split('<>') }}|{{ messages[0].content.split()[-1] }}|{{ ''.split() }}|{{ ''.split(',') }}",
             "hi|hi  |  hi|hi|True|True|False|HI|hi|['a', 'b', 'c']|['a', 'b', '', 'c']|['a', 'b']|['a', 'b', '']|assistant.|[]|['']"),
            ("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
             "1043TrueFalse4;2132FalseFalse4;3221FalseFalse4;4310FalseTrue4;"),
            ("{% for m in messages if m.role == 'user' %}{{ loop.index }}/{{ loop.length }}:{{ m.content | trim }};{% else %}none{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}|{% for m in messages if m.role == 'tool' %}x{% else %}no tools{% endfor %}",
             "1/2:Héllo! 👋;2/2:Tell me a joke.;|empty|no tools"),
            ("{% for c in 'abc' %}{{ c }}-{% endfor %}|{% for k in messages[0] %}{{ k }},{% endfor %}|{% for x in undefined_var %}x{% endfor %}|{% for n in [[1, 2], [3]] %}{{ n | length }}{% endfor %}",
             "a-b-c-|role,content,||21"),
            ("{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }}{{ loop.last }} {% endfor %}{{ loop is defined }}{{ a is defined }}",
             "1x1 1y2 1False 2x1 2y2 2True FalseFalse"),
            ("{% set x = 0 %}{% for i in [1, 2, 3] %}[{{ x }}]{% set x = i %}({{ x }}){% endfor %}|{{ x }}|{% for i in [1, 2] %}{% if i > 1 %}[{{ y }}]{% endif %}{% set y = i %}{% endfor %}|{{ y }}|{% if true %}{% set z = 'kept' %}{% endif %}{{ z }}",
             "[0](1)[0](2)[0](3)|0|[]||kept"),
            ("{% set d = {'a': 1, 'b': [2, 3], 'a': 4} %}{{ d.a }}{{ d['b'][1] }}[{{ d.missing }}]{{ d }}|{% set l = [1, 2,] %}{{ l }}|{{ {'a': {'b': 1}} }}|{{ '%}' ~ \"}}\" ~ '{{' ~ '{#' }}",
             "43[]{'a': 4, 'b': [2, 3]}|[1, 2]|{'a': {'b': 1}}|%}}}{{{#"),
            ("[{{ x }}][{{ messages[9] }}][{{ messages[0].nope }}][{{ x ~ 'a' }}][{{ 'abc'.nope }}][{{ none['k'] }}][{{ messages['k'] }}]",
             "[][][][a][][][]"),
            ("{{ name }}|{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}",
             "Ada|<s>|</s>|False"),
        ])
    }

    func testWhitespaceControlMatchesJinja() {
        assertCasesMatchJinja([
            ("  {% if true %}\n  x\n  {% endif %}\n  {{ 'y' }}\n",
             "  x\n  y"),
            ("a  {# c #}  b\n  {#- c -#}  \nd\n{# c +#}\ne",
             "a    bd\n\ne"),
            ("x {%- if true -%} y {%- endif -%} z",
             "xyz"),
            ("a\n  {%+ if true %}b{% endif +%}\nc",
             "a\n  b\nc"),
            ("{{- ' a ' -}}  \n  {{ 'b' }}\n\t{{- 'c' }}",
             " a bc"),
            ("line1\n\t{% if true %}\n\tin\n\t{% endif %}\nend\n",
             "line1\n\tin\nend"),
            ("{% if true %}a{% endif %}   {% if true %}b{% endif %}\n",
             "a   b"),
            ("{% for m in messages %}\n  {{ m.role }}\n{% endfor %}",
             "  system\n  user\n  assistant\n  user\n"),
            ("text\r\nwith\rcrlf\r\n{% if true %}\r\nx{% endif %}\r\n\n",
             "text\nwith\ncrlf\nx"),
            ("{{ 'a' }}\n{{ 'b' }}\n",
             "a\nb"),
            ("{# only comment #}\nafter",
             "after"),
            ("{{ 'a' -}}\n\n  b{%- if false %}{% else %} c{% endif -%}\n\nd",
             "ab cd"),
            ("  {% if true %}  x  {% endif %}  \nmid  {%- if true %}  y{% endif %}",
             "  x    \nmid  y"),
            ("{% if messages %}\n    {% for m in messages %}\n        {% if loop.first %}\n            first: {{ m.role }}\n        {% elif loop.last %}\n            last: {{ m.role }}\n        {% else %}\n            middle\n        {% endif %}\n    {% endfor %}\n{% endif %}\n",
             "            first: system\n            middle\n            middle\n            last: user\n"),
        ])
    }

    func testNamedParametersWinOverExtra() throws {
        let template = try ChatTemplate("{{ bos_token }}|{{ add_generation_prompt }}|{{ pad_token }}")
        let output = try template.render(messages: [], addGenerationPrompt: true, bosToken: "<s>",
                                         extra: ["bos_token": "<bad>", "add_generation_prompt": "no", "pad_token": "<pad>"])
        XCTAssertEqual(output, "<s>|True|<pad>")
    }

    func testChatMessageDecodesFromJSON() throws {
        let json = #"[{"role": "user", "content": "Hi"}]"#
        let messages = try JSONDecoder().decode([ChatMessage].self, from: Data(json.utf8))
        XCTAssertEqual(messages, [ChatMessage(role: "user", content: "Hi")])
    }

    // MARK: Errors

    func testSyntaxErrorsSayWhatAndWhere() {
        let cases: [(source: String, message: String, line: Int, column: Int)] = [
            ("Hello\n  {% if messages %}{{ 1 }}", "unclosed 'if' block: missing '{% endif %}'", 2, 3),
            ("{% for m in messages %}{% if true %}{% endfor %}", "unexpected tag 'endfor' (expected 'elif' or 'else' or 'endif')", 1, 37),
            ("{% for m in messages %}x", "unclosed 'for' block: missing '{% endfor %}'", 1, 1),
            ("ab {{ 'a' ", "missing '}}' to close '{{'", 1, 4),
            ("{% if true", "missing '%}' to close '{%'", 1, 1),
            ("{{ x | frobnicate }}", "unknown filter 'frobnicate'", 1, 8),
            ("{{ x is frob }}", "unknown test 'frob'", 1, 9),
            ("\n{% call m() %}{% endcall %}", "unknown tag 'call'", 2, 1),
            ("{% endif %}", "unexpected tag 'endif'", 1, 1),
            ("{% if true %}{% else %}{% elif true %}{% endif %}", "unexpected tag 'elif' (expected 'endif')", 1, 24),
            ("{# never closed", "missing '#}' to close the comment", 1, 1),
            ("{{ 'unterminated }}", "unterminated string literal", 1, 4),
            ("{{ 'bad \\x4' }}", "truncated \\x escape", 1, 9),
            ("{{ a b }}", "expected '}}', found 'b'", 1, 6),
            ("{{ }}", "expected an expression, found '}}'", 1, 4),
            ("{% %}", "expected a tag name, found '%}'", 1, 4),
            ("{{ (1 }}", "unexpected '}', expected ')'", 1, 7),
            ("{{ [1, 2 }}", "unexpected '}', expected ']'", 1, 10),
            ("{{ x. }}", "expected an attribute name, found '}}'", 1, 7),
            ("{{ x ; }}", "unexpected character ';'", 1, 6),
            ("{{ 1.5 }}", "floating-point numbers are not supported", 1, 4),
            ("{{ 99999999999999999999 }}", "integer literal is too large", 1, 4),
            ("{{ 01 }}", "integers cannot have leading zeros", 1, 4),
            ("{{ x is defined 3 }}", "unexpected '3' after test 'defined' (it takes no argument)", 1, 17),
            ("{{ x is divisibleby }}", "expected an argument for test 'divisibleby', found '}}'", 1, 21),
            ("{{ x is divisibleby(1, 2) }}", "test 'divisibleby' takes 1 argument, 2 given", 1, 20),
            ("{% if x is none is string %}{% endif %}", "you cannot chain multiple tests with 'is'", 1, 17),
            ("{% if a if b else c %}{% endif %}", "expected '%}', found 'if'", 1, 9),
            ("{{ 'a' | trim(1, 2) }}", "filter 'trim' takes at most 1 argument(s), 2 given", 1, 10),
            ("{{ x | upper(1) }}", "filter 'upper' takes no argument(s), 1 given", 1, 8),
            ("{{ x | tojson(indnt=2) }}", "filter 'tojson' has no argument named 'indnt'", 1, 8),
            ("{{ x | map('upper', dflt=1) }}", "filter 'map' has no argument named 'dflt'", 1, 8),
            ("{{ f(x=1, 2) }}", "positional argument follows keyword argument", 1, 11),
            ("{{ f(x=1, x=2) }}", "keyword argument 'x' repeated", 1, 11),
            ("{% for (a, b) in x %}{% endfor %}", "expected a loop variable name, found '('", 1, 8),
            ("{% set x %}{% endset %}",
             "expected '=' (only '{% set name = value %}' and '{% set name.attribute = value %}' are supported), found '%}'", 1, 10),
            ("{% if x %}{% break %}{% endif %}", "'break' outside of a loop", 1, 11),
            ("{% for x in y %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", "'continue' outside of a loop", 1, 32),
            ("{% macro m(a=1, b) %}{% endmacro %}", "parameter 'b' without a default follows one with a default", 1, 17),
            ("{% macro m(a, a) %}{% endmacro %}", "duplicate parameter 'a' in macro 'm'", 1, 15),
            ("{% macro m() %}x", "unclosed 'macro' block: missing '{% endmacro %}'", 1, 1),
            ("{% endmacro %}", "unexpected tag 'endmacro'", 1, 1),
        ]
        for (source, message, line, column) in cases {
            XCTAssertThrowsError(try ChatTemplate(source), source) { error in
                guard let error = error as? ChatTemplateError else { return XCTFail("\(source): \(error)") }
                XCTAssertEqual(error.kind, .syntax, source)
                XCTAssertEqual(error.message, message, source)
                XCTAssertEqual(error.line, line, source)
                XCTAssertEqual(error.column, column, source)
            }
        }
    }

    func testRenderErrorsSayWhatAndWhere() throws {
        let cases: [(source: String, message: String, column: Int)] = [
            ("{{ 'a' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'", 8),
            ("{{ x.y }}", "'x' is undefined", 4),
            ("{{ x[0] }}", "'x' is undefined", 4),
            ("{{ 1 // 0 }}", "integer division or modulo by zero", 6),
            ("{{ 'a' < 1 }}", "'<' not supported between instances of 'str' and 'int'", 8),
            ("{% for x in 5 %}{% endfor %}", "'int' object is not iterable", 13),
            ("{{ 'a'.nope() }}", "'str object' has no method 'nope'", 8),
            ("{{ undefined_fn() }}", "'undefined_fn' is undefined", 4),
            ("{{ name() }}", "'str' object is not callable", 4),
            ("{{ x | tojson }}", "Object of type Undefined is not JSON serializable", 8),
            ("{{ -'a' }}", "bad operand type for unary -: 'str'", 4),
            ("{{ 'a' in 1 }}", "argument of type 'int' is not iterable", 8),
            ("{{ 1 in 'a' }}", "'in <string>' requires string as left operand, not int", 6),
            ("{{ ''.split('') }}", "empty separator", 7),
            ("{{ [1][::0] }}", "slice step cannot be zero", 7),
            ("{{ 9223372036854775807 + 1 }}", "integer overflow", 24),
            ("{{ 'a'.strip(1) }}", "strip arg must be None or str, not int", 8),
            ("{{ raise_exception() }}", "raise_exception() takes 1 argument, 0 given", 4),
            ("{{ 'a' * 99999999 }}", "repetition result is too large", 8),
            ("{{ [1] in {'a': 1} }}", "unhashable type: 'list'", 8),
            ("{{ {'a': 1}[1:] }}", "'dict' object cannot be sliced", 12),
            ("{{ +'a' }}", "bad operand type for unary +: 'str'", 4),
        ]
        for (source, message, column) in cases {
            let template = try ChatTemplate(source)
            XCTAssertThrowsError(try template.render(messages: [], addGenerationPrompt: false, extra: ["name": "Ada"]), source) { error in
                guard let error = error as? ChatTemplateError else { return XCTFail("\(source): \(error)") }
                XCTAssertEqual(error.kind, .render, source)
                XCTAssertEqual(error.message, message, source)
                XCTAssertEqual(error.line, 1, source)
                XCTAssertEqual(error.column, column, source)
            }
        }
    }

    func testRaiseExceptionReportsTheTemplatesMessageAndPosition() throws {
        let template = try ChatTemplate("{% for m in messages %}\n  {% if m.role == 'tool' %}\n    {{ raise_exception('no ' ~ m.role ~ ' messages') }}\n  {% endif %}\n{% endfor %}")
        XCTAssertEqual(try template.render(messages: conversation, addGenerationPrompt: false), "")
        XCTAssertThrowsError(try template.render(messages: [ChatMessage(role: "tool", content: "{}")], addGenerationPrompt: false)) { error in
            XCTAssertEqual(error as? ChatTemplateError, ChatTemplateError(.raised, "no tool messages", at: SourcePosition(line: 3, column: 8)))
            XCTAssertEqual("\(error)", "chat template raised an exception at line 3, column 8: no tool messages")
        }
    }

    func testErrorDescriptionNamesKindAndPosition() {
        XCTAssertThrowsError(try ChatTemplate("Hello\n  {% if messages %}")) { error in
            XCTAssertEqual("\(error)", "chat template syntax error at line 2, column 3: unclosed 'if' block: missing '{% endif %}'")
        }
    }

    /// Pathological nesting is a syntax error, not a stack overflow.
    func testDeepNestingIsRejectedWithoutCrashing() {
        let sources = [
            "{{ " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + " }}",
            "{{ " + String(repeating: "not ", count: 10_000) + "x }}",
            "{{ " + String(repeating: "-", count: 10_000) + "1 }}",
            "{{ 1" + String(repeating: " + 1", count: 10_000) + " }}",
            "{{ x" + String(repeating: ".a", count: 10_000) + " }}",
            "{{ x" + String(repeating: " | trim", count: 10_000) + " }}",
            "{{ 1" + String(repeating: " if x else 1", count: 10_000) + " }}",
            String(repeating: "{% if true %}", count: 10_000) + String(repeating: "{% endif %}", count: 10_000),
        ]
        for source in sources {
            assertError(.syntax, { try ChatTemplate(source) })
        }
        let deepButFine = "{{ " + String(repeating: "(", count: 20) + "1" + String(repeating: " + 1)", count: 20) + " }}"
        XCTAssertEqual(try ChatTemplate(deepButFine).render(messages: [], addGenerationPrompt: false), "21")
    }
}
