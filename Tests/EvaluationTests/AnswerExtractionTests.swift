import XCTest
import Evaluation

final class AnswerExtractionTests: XCTestCase {
    typealias X = AnswerExtraction

    func testStrictMatchReadsTheFirstHashAnswer() {
        XCTAssertEqual(X.strictMatch("She sells 9 eggs.\n#### 18"), "18")
        XCTAssertEqual(X.strictMatch("#### 1,234"), "1,234")
        XCTAssertEqual(X.strictMatch("So #### -7 and later #### 9"), "-7", "several ####: the first wins")
        XCTAssertEqual(X.strictMatch("#### 3.50."), "3.50.")
        XCTAssertEqual(X.strictMatch("#### $18"), X.invalid, "the harness regex does not allow a dollar sign")
        XCTAssertEqual(X.strictMatch("The answer is 18"), X.invalid, "no #### line")
        XCTAssertEqual(X.strictMatch("####18"), X.invalid, "the space after #### is required")
    }

    func testFlexibleExtractReadsTheLastNumber() {
        XCTAssertEqual(X.flexibleExtract("3 + 4 = 7, so the answer is 12."), "12.")
        XCTAssertEqual(X.flexibleExtract("She pays $1,200 in total"), "$1,200")
        XCTAssertEqual(X.flexibleExtract("The change is -5"), "-5")
        XCTAssertEqual(X.flexibleExtract("It costs 2.75 dollars"), "2.75")
        XCTAssertEqual(X.flexibleExtract("x is 7"), "7", "a single digit matches the second alternative")
        XCTAssertEqual(X.flexibleExtract("no digits here"), X.invalid)
        XCTAssertEqual(X.flexibleExtract(""), X.invalid)
    }

    func testNormalizationRemovesCommasDollarsAndOneTrailingPeriod() {
        XCTAssertEqual(X.normalize("$1,200."), "1200")
        XCTAssertEqual(X.normalize("Step one.\n#### 72"), "72", "everything through the last #### goes")
        XCTAssertEqual(X.normalize("5.."), "5.")
        XCTAssertTrue(X.matches("$1,200.", reference: "1200"))
        XCTAssertTrue(X.matches("-5", reference: "-5"))
        XCTAssertFalse(X.matches("5", reference: "-5"))
        XCTAssertFalse(X.matches("18.00", reference: "18"), "compared as strings, like the harness")
        XCTAssertFalse(X.matches(X.invalid, reference: X.invalid), "no answer is never correct")
    }

    func testTaggedAnswerReadsTheLineAfterTheTag() {
        XCTAssertEqual(X.taggedAnswer("Some steps.\n<|answer|>\n42\n", tag: "<|answer|>"), "42")
        XCTAssertEqual(X.taggedAnswer("<|answer|> $1,000", tag: "<|answer|>"), "$1,000")
        XCTAssertEqual(X.taggedAnswer("<|answer|>\nforty-two", tag: "<|answer|>"), X.invalid)
        XCTAssertEqual(X.taggedAnswer("No tag, 42", tag: "<|answer|>"), X.invalid)
    }
}
