/// A named character of a word problem and the pronouns the templates use for them.
struct Person: Sendable {
    let name: String
    let feminine: Bool

    /// The `{Name}` and pronoun placeholders.
    var bindings: [(String, String)] {
        let forms = feminine ? ["she", "her", "her", "herself"] : ["he", "him", "his", "himself"]
        return [("Name", name), ("He", capitalized(forms[0])), ("he", forms[0]), ("him", forms[1]),
                ("His", capitalized(forms[2])), ("his", forms[2]), ("himself", forms[3])]
    }

    static let all: [Person] =
        ["Mia", "Ava", "Lena", "Sofia", "Nora", "Emma", "Zara", "Ines", "Priya", "Yuki", "Amara", "Grace"]
            .map { Person(name: $0, feminine: true) }
        + ["Liam", "Noah", "Omar", "Ravi", "Leo", "Hugo", "Kenji", "Mateo", "Tom", "Sam", "Diego", "Felix"]
            .map { Person(name: $0, feminine: false) }
}

private func capitalized(_ word: String) -> String { word.prefix(1).uppercased() + word.dropFirst() }
