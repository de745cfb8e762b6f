/// The general category of a scalar as `tokenizers`' BERT normalizer and pre-tokenizer see it when they ask
/// which characters are control or format characters, nonspacing marks or punctuation. They ask the
/// `unicode_categories` crate, whose tables are Unicode 8.0's: scalars assigned since are unassigned there
/// (kept, not split off, not stripped), and seven scalars have changed category since.
/// (White space, lowercasing and NFD come from tables that are current.)
enum BertCharacterCategory {
    static func of(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory {
        if let old = changedSinceUnicode8[scalar.value] { return old }
        guard let age = scalar.properties.age, (age.major, age.minor) <= (8, 0) else { return .unassigned }
        return scalar.properties.generalCategory
    }

    /// Their Unicode 8.0 categories.
    private static let changedSinceUnicode8: [UInt32: Unicode.GeneralCategory] = [
        0x166D: .otherPunctuation,  // CANADIAN SYLLABICS CHI SIGN, now a symbol
        0x111C9: .otherPunctuation,  // SHARADA SANDHI MARK, now a nonspacing mark
        0x1734: .nonspacingMark,  // HANUNOO SIGN PAMUDPOD, now a spacing mark
        0x1171E: .nonspacingMark,  // AHOM CONSONANT SIGN MEDIAL RA, now a spacing mark
        0x1885: .otherLetter, 0x1886: .otherLetter,  // MONGOLIAN LETTER ALI GALI BALUDA and THREE BALUDA, now marks
        0xA9BD: .spacingMark,  // JAVANESE CONSONANT SIGN KERET, now a nonspacing mark
    ]
}
