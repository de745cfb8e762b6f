import ReMask

extension Trainer {
    /// A run of `settings` on the model at `modelPath` (the tests' models are fixtures, not the default model).
    convenience init(_ settings: TrainingSettings, modelPath: String, log: @escaping (String) -> Void) throws {
        var settings = settings
        settings.run.model = modelPath
        try self.init(settings, log: log)
    }
}
