import Foundation
import XCTest
@testable import Models

/// The Jinja features beyond the basics that real chat templates use: macros, `namespace()`, loop controls,
/// the loop's neighbours, unpacking loops, tests with arguments, filters with keyword arguments, globals.
/// Expected outputs were produced by Python's jinja2 3.1.6 through transformers 5.25's own environment
/// (`_compile_jinja_template`: sandboxed, `trim_blocks`, `lstrip_blocks`, loopcontrols, its `tojson`,
/// `raise_exception`, `strftime_now`, `namespace`), rendering with the variables `assertCasesMatchJinja` names
/// and `tools=None`, `documents=None`. Where Jinja gives a generator or a `range` object (`select`, `map`,
/// `range`), the cases print it through `| list`: remask makes lists there, which print differently.
final class ChatTemplateFeatureTests: XCTestCase {
    func testFeaturesMatchJinja() {
        assertCasesMatchJinja([
            ("{% macro greet(who, punct='!') %}Hi {{ who }}{{ punct }}{% endmacro %}{{ greet('Ada') }}|{{ greet('Bob', '?') }}|{{ greet(punct='.', who='Cy') }}|{{ greet() }}|{{ greet | string }}",
             "Hi Ada!|Hi Bob?|Hi Cy.|Hi !|<Macro 'greet'>"),
            ("{% macro row(m) %}[{{ m.role }}:{{ name }}]{% endmacro %}{% for m in messages %}{{ row(m) }}{% endfor %}|{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}{{ twice(twice('a')) }}|{% macro fact(n) %}{% if n > 1 %}{{ n * fact(n - 1) | int }}{% else %}1{% endif %}{% endmacro %}{{ fact(5) }}",
             "[system:Ada][user:Ada][assistant:Ada][user:Ada]|aaaa|120"),
            ("{% set ns = namespace(count=0, last=none) %}{% for m in messages %}{% set ns.count = ns.count + 1 %}{% set ns.last = m.role %}{% endfor %}{{ ns.count }}/{{ ns.last }}|{% set n2 = namespace() %}{% set n2.x = [1] %}{{ n2.x }}|{{ namespace(a=1).a }}|{{ ns['count'] }}",
             "4/user|[1]|1|4"),
            ("{% for i in range(10) %}{% if i is odd %}{% continue %}{% endif %}{% if i > 6 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for a in [1, 2] %}{% for b in [1, 2, 3] %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}|{% for x in [1, 2, 3] %}{{ x }}{% if loop.last %}{% break %}{% endif %}{% else %}E{% endfor %}",
             "0246|11 21 |123"),
            ("{% for a in [1, 2, 3] %}{{ a }}{% for b in [] %}x{% else %}{% if a == 2 %}{% break %}{% endif %}e{% endfor %}{% endfor %}|{% for a in [1, 2] %}{% for b in [] %}{% else %}{% continue %}{% endfor %}{{ a }}{% endfor %}",
             "1e2|"),
            ("{% for m in messages %}{{ loop.previtem.role if loop.previtem is defined else '-' }}>{{ loop.nextitem.role if loop.nextitem is defined else '-' }};{% endfor %}|{% for k, v in {'a': 1, 'b': [2]} | items %}{{ k }}={{ v }},{% endfor %}|{% for k, v in {'x': 'y'}.items() %}{{ k }}{{ v }}{% endfor %}",
             "->user;system>assistant;user>user;assistant>-;|a=1,b=[2],|xy"),
            ("{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ range(5, 0, -2) | list }}|{{ range(0) | list }}|{{ dict(a=1, b='x') }}|{{ [3, 1, 2] | first }}|{{ 'abc' | last }}|{{ [] | first is defined }}|{{ [1, 'a', none] | join('-') }}|{{ messages | map(attribute='role') | join(', ') }}",
             "[0, 1, 2]|[1, 3, 5]|[5, 3, 1]|[]|{'a': 1, 'b': 'x'}|3|c|False|1-a-None|system, user, assistant, user"),
            ("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | map('trim') | list }}|{{ messages | rejectattr('role', 'in', ['system', 'user']) | list | length }}|{{ [0, 1, '', 'a', none] | select | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}|{{ [1, 2, 3] | select('greaterthan', 1) | list }}|{{ ['code_interpreter', 'brave_search'] | reject('equalto', 'code_interpreter') | join(', ') }}",
             "['Héllo! 👋', 'Tell me a joke.']|1|[1, 'a']|[2, 4]|[2, 3]|brave_search"),
            ("{{ {'b': 1, 'a': [1, {'c': none}]} | tojson(indent=2) }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ [1, {'a': 'x'}] | tojson(separators=(',', ':')) }}|{{ [] | tojson(indent=4) }}|{{ {'a': []} | tojson(indent=1) }}",
             "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    {\n      \"c\": null\n    }\n  ]\n}|{\"a\": 2, \"b\": 1}|[1,{\"a\":\"x\"}]|[]|{\n \"a\": []\n}"),
            ("{{ 'hello world' | capitalize }}|{{ 'hELLO wORLD-x (y)' | title }}|{{ 'a-b' | replace('-', '+') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ '42' | int + 1 }}|{{ 'x' | int }}|{{ '7.9' | int }}|{{ true | int }}|{{ 'x' | int(5) }}|{{ [1, 2] | reverse | list }}|{{ 'abc' | reverse }}|{{ 5 | string ~ 'x' }}|{{ 'ab' | list }}|{{ 'é' | safe }}",
             "Hello world|Hello World-X (Y)|a+b|bba|43|0|7|1|5|[2, 1]|cba|5x|['a', 'b']|é"),
            ("{{ 'a,b'.replace(',', ';') }}|{{ 'hello wORLD'.title() }}|{{ 'hello'.capitalize() }}|{{ 'hello'.find('l') }}|{{ 'hello'.find('z') }}|{{ '-'.join(['a', 'b']) }}|{{ {'a': 1}.get('a') }}|{{ {'a': 1}.get('b') }}|{{ {'a': 1}.get('b', 2) }}|{{ {'a': 1, 'b': 2}.keys() | list }}|{{ {'a': 1, 'b': 2}.values() | list }}",
             "a;b|Hello World|Hello|2|-1|a-b|1|None|2|['a', 'b']|[1, 2]"),
            ("{{ 4 is divisibleby 2 }}|{{ 5 is divisibleby(2) }}|{{ 3 is odd }}|{{ 3 is even }}|{{ 'a' is equalto 'a' }}|{{ 1 is eq 2 }}|{{ 1 is ne 2 }}|{{ 2 is in [1, 2] }}|{{ none is sameas none }}|{{ 'abc' is lower }}|{{ 'ABC' is upper }}|{{ '1' is lower }}|{{ range is callable }}|{{ name is callable }}|{{ x is not none }}",
             "True|False|True|False|True|False|True|True|True|True|True|False|True|False|True"),
            ("{{ strftime_now is defined }}|{{ raise_exception is defined }}|{{ namespace is defined }}|{{ tools is none }}|{{ documents is none }}|{% generation %}gen{{ 1 }}{% endgeneration %}",
             "True|True|True|True|True|gen1"),
            ("{{ 'abc'.replace('', '-') }}|{{ 'abc'.replace('', '-', 2) }}|{{ 'aXbXc'.replace('X', '') }}|{{ 'ab' | replace('', '.') }}|{{ (-9223372036854775807 - 1) is divisibleby(-1) }}",
             "-a-b-c-|-a-bc|abc|.a.b.|True"),
            ("{{ 'a\nb\n\nc' | indent }}|{{ 'a\nb\n\nc\n' | indent(2, true) }}|{{ 'a\r\nb\n\nc' | indent(2, blank=true) }}|{{ 'x\ny' | indent('> ') }}|{{ '' | indent(first=true) }}",
             "a\n    b\n\n    c|  a\n  b\n\n  c\n|a\n  b\n  \n  c|x\n> y|    "),
            ("{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}|{% macro m(a, b=a ~ '!') %}{{ a }}{{ b }}{% endmacro %}{{ m('x') }}|{{ m | string }}",
             "True|xx!|<Macro 'm'>"),
        ])
    }

    /// A macro that calls itself without end stops at the depth limit; one that fans out (each call makes two)
    /// stops at the iteration limit rather than running for hours.
    func testRunawayMacrosHitLimits() throws {
        let cases: [(String, String)] = [
            ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "macro calls nested deeper than 32"),
            ("{% macro f(n) %}{% if n < 30 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}{% endmacro %}{{ f(0) }}",
             "the template ran more than 1000000 loop iterations"),
            ("{{ range(2000000) | length }}", "range() result is too large"),
        ]
        for (source, message) in cases {
            XCTAssertThrowsError(try ChatTemplate(source).render(messages: [], addGenerationPrompt: false), source) { error in
                XCTAssertEqual((error as? ChatTemplateError)?.kind, .render, source)
                XCTAssertEqual((error as? ChatTemplateError)?.message, message, source)
            }
        }
        // The deepest expressions in the deepest macros still fit the stack.
        let deepExpression = String(repeating: "[", count: 60) + "f(n + 1)" + String(repeating: "]", count: 60)
        let deepBlocks = String(repeating: "{% if true %}", count: 60) + "{{ f(n + 1) }}" + String(repeating: "{% endif %}", count: 60)
        for body in ["{{ \(deepExpression) }}", deepBlocks] {
            XCTAssertThrowsError(try ChatTemplate("{% macro f(n) %}\(body){% endmacro %}{{ f(0) }}")
                .render(messages: [], addGenerationPrompt: false)) { error in
                XCTAssertEqual((error as? ChatTemplateError)?.message, "blocks, expressions and macro calls nested deeper than 256")
            }
        }
        // 31 levels are fine: real templates nest macros two or three deep.
        let deep = try ChatTemplate("{% macro f(n) %}{% if n < 31 %}{{ f(n + 1) }}{% else %}{{ n }}{% endif %}{% endmacro %}{{ f(0) }}")
        XCTAssertEqual(try deep.render(messages: [], addGenerationPrompt: false), "31")
    }

    /// Values that namespaces make buildable in loops (cycles, lists nested a million deep, one long string
    /// shared a million times) print, compare and serialize without hanging or overflowing the stack.
    func testHostileValuesStayBounded() throws {
        assertCasesMatchJinja([
            // Python's jinja2 prints exactly this.
            ("{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}|{% set ns2 = namespace(l=[]) %}{% set ns2.l = [ns2, 1] %}{{ ns2 }}",
             "<Namespace {'a': 1, 'me': <Namespace {...}>}>|<Namespace {'l': [<Namespace {...}>, 1]}>"),
        ])
        // Each case renders its expected text, or fails with it as the message (nil: any render error).
        let cases: [(String, String?)] = [
            ("{% set ns = namespace(x=0) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}",
             "value nested deeper than 200"),
            (String(repeating: "{% set x = [x] %}", count: 300), "value nested deeper than 200"),
            // A chain of a million namespaces, released without recursing.
            ("{% set ns = namespace(head=none) %}{% for i in range(200000) %}{% set ns.head = namespace(next=ns.head) %}{% endfor %}ok",
             "ok"),
            ("{% set ns = namespace(l=[]) %}{% for i in range(150) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l == ns.l }}|{{ (ns.l | tojson)[:3] }}",
             "True|[[["),
            ("{{ [1] | tojson(indent=9223372036854775807) }}", nil),
            ("{% set l = ['x' * 1000000] * 1000 %}{{ l | join }}", "join result is too large"),
            ("{{ ('x' * 5000000).replace('', 'yyy') }}", "replace result is too large"),
            ("{% set l = ['x' * 1000000] * 1000 %}{{ ''.join(l) }}", nil),
            ("{% set ns = namespace(a=[1]) %}{% for i in range(60) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a }}", nil),
        ]
        for (source, expected) in cases {
            let template = try ChatTemplate(source)
            do {
                let output = try template.render(messages: [], addGenerationPrompt: false)
                XCTAssertEqual(output, expected, source)
            } catch let error as ChatTemplateError {
                XCTAssertEqual(error.kind, .render, source)
                if let expected { XCTAssertEqual(error.message, expected, source) }
            }
        }
    }

    /// `strftime_now` formats the `now` passed to `render` (transformers: the local clock). Expected strings are
    /// Python's `datetime(2026, 3, 7, 9, 5, 4).strftime(...)`.
    func testStrftimeNowFormatsTheGivenTime() throws {
        let now = try XCTUnwrap(Calendar(identifier: .gregorian).date(from: DateComponents(
            year: 2026, month: 3, day: 7, hour: 9, minute: 5, second: 4)))
        let template = try ChatTemplate("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%a %j %y %H:%M:%S %I%p %%') }}")
        XCTAssertEqual(try template.render(messages: [], addGenerationPrompt: false, now: now),
                       "07 Mar 2026|Sat 066 26 09:05:04 09AM %")
        XCTAssertThrowsError(try ChatTemplate("{{ strftime_now('%Q') }}").render(messages: [], addGenerationPrompt: false)) { error in
            XCTAssertEqual((error as? ChatTemplateError)?.message, "strftime_now: unsupported directive '%Q'")
        }
    }

    /// `date_string` in `extra` wins over Llama 3.2's call of `strftime_now`, as the keyword does in transformers.
    func testDateStringFromExtraOverridesTheClock() throws {
        let template = try ChatTemplate("{% if not date_string is defined %}{% set date_string = strftime_now('%d %b %Y') %}{% endif %}{{ date_string }}")
        XCTAssertEqual(try template.render(messages: [], addGenerationPrompt: false, extra: ["date_string": "26 Jul 2024"]),
                       "26 Jul 2024")
    }

    /// Tool calls, tool results and reasoning reach the template as transformers gives them (absent fields left
    /// out, `thinking` beside `reasoning_content`), and `tools` is none when not given.
    func testMessageFieldsReachTheTemplate() throws {
        let messages = [
            ChatMessage(role: "assistant", content: "", reasoningContent: "hmm",
                        toolCalls: [ChatToolCall(id: "c1", name: "f", arguments: .object([.init("x", .double(0.1)), .init("a", .int(1))]))]),
            ChatMessage(role: "tool", content: "ok", toolCallID: "c1", name: "f"),
        ]
        let template = try ChatTemplate("{% for m in messages %}{{ m }}\n{% endfor %}{{ tools }}")
        XCTAssertEqual(try template.render(messages: messages, addGenerationPrompt: false),
                       "{'thinking': 'hmm', 'role': 'assistant', 'content': '', 'tool_calls': [{'id': 'c1', 'type': 'function', 'function': {'name': 'f', 'arguments': {'x': 0.1, 'a': 1}}}], 'reasoning_content': 'hmm'}\n"
                       + "{'role': 'tool', 'content': 'ok', 'tool_call_id': 'c1', 'name': 'f'}\nNone")
        let tools = try ChatJSON(parsing: #"[{"type": "function", "function": {"name": "f", "parameters": {"z": 1e-7, "y": 1e16, "w": 2.50}}}]"#)
        guard case .array(let list) = tools else { return XCTFail("not an array") }
        XCTAssertEqual(try ChatTemplate("{{ tools | tojson }}|{{ tools[0].function.parameters.z }}").render(
            messages: [], addGenerationPrompt: false, tools: list),
            #"[{"type": "function", "function": {"name": "f", "parameters": {"z": 1e-07, "y": 1e+16, "w": 2.5}}}]|1e-07"#)
    }

    /// OpenAI-style JSON decodes: `content` null in a tool-calling turn, `arguments` as a JSON string.
    func testChatMessageDecodesToolCalls() throws {
        let json = #"{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]}"#
        let message = try JSONDecoder().decode(ChatMessage.self, from: Data(json.utf8))
        XCTAssertEqual(message, ChatMessage(role: "assistant", content: "",
                                            toolCalls: [ChatToolCall(id: "c1", name: "f", arguments: .string(#"{"a": 1}"#))]))
        let object = #"{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {"a": [1.5, null, "x"]}}}]}"#
        XCTAssertEqual(try JSONDecoder().decode(ChatMessage.self, from: Data(object.utf8)), ChatMessage(
            role: "assistant", content: "",
            toolCalls: [ChatToolCall(name: "f", arguments: .object([.init("a", .array([.double(1.5), .null, .string("x")]))]))]))
        let plain = try JSONDecoder().decode(ChatMessage.self, from: Data(#"{"role": "user", "content": "hi"}"#.utf8))
        XCTAssertEqual(plain, ChatMessage(role: "user", content: "hi"))
    }

    func testJSONParserKeepsOrderAndRefusesBadInput() throws {
        XCTAssertEqual(try ChatJSON(parsing: #" {"b": [1, -2.5e3, true, null], "a": "\u00e9\ud83d\ude00\n"} "#),
                       .object([.init("b", .array([.int(1), .double(-2500), .bool(true), .null])), .init("a", .string("é😀\n"))]))
        let bad: [(String, String)] = [
            ("", "expected a value"), ("[1,]", "expected a value"), ("{\"a\" 1}", "expected ':'"), ("01", "leading zero in number"),
            ("\"a", "unterminated string"), ("[1] 2", "unexpected text after the value"), ("\"\\x\"", "invalid escape"),
            (String(repeating: "[", count: 200), "nested too deeply"),
        ]
        for (text, message) in bad {
            XCTAssertThrowsError(try ChatJSON(parsing: text), text) { error in
                XCTAssertEqual((error as? ChatJSONError)?.message, message, text)
            }
        }
    }
}
