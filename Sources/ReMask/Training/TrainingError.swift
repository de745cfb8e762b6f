/// Why a training run stopped early.
public enum TrainingError: Error, CustomStringConvertible {
    /// The loss or the gradient stopped being a finite number.
    case nonFinite(step: Int, what: String, lastCheckpoint: String?)
    /// Ctrl-C or SIGTERM: a checkpoint was saved.
    case interrupted(signal: Int32, checkpoint: String)
    /// `--resume` under settings that differ from the checkpoint's.
    case resumeMismatch(String)
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .nonFinite(let step, let what, let last):
            "\(what) is not finite at step \(step + 1); stopped without saving. "
                + (last.map { "The last good checkpoint is \($0); lower the learning rate and resume from it." }
                    ?? "No checkpoint was written yet.")
        case .interrupted(_, let checkpoint):
            "interrupted; saved \(checkpoint). Run the same command with --resume to continue."
        case .resumeMismatch(let what): "cannot resume: \(what)"
        case .invalidSettings(let what): what
        }
    }
}
