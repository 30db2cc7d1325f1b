import LossKit

extension Catalog {
    static let regression: [any CatalogEntry.Type] = [MSEEntry.self]
}

enum MSEEntry: CatalogEntry {
    static let id = "mse"
    static let summary = "Mean squared error (F.mse_loss)"
    static let formula = "ℓᵢ = (inputᵢ − targetᵢ)², reduced by mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = 2(input − target); ∂ℓᵢ/∂target = −2(input − target); divided by the count for mean"
    static let notes = "Regression to real targets; the Gaussian negative log-likelihood with fixed variance. Reference: torch.nn.functional.mse_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "predictions, any shape"),
        InputSpec("target", .differentiable, "targets, same shape as input"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try meanSquaredError(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}
