import LossKit

extension Catalog {
    static let regression: [any CatalogEntry.Type] = [
        MSEEntry.self, L1Entry.self, EuclideanEntry.self, HuberEntry.self, SmoothL1Entry.self,
        LogCoshEntry.self, MSLEEntry.self, MAPEEntry.self, GaussianNLLEntry.self, LaplaceNLLEntry.self,
        PoissonNLLEntry.self,
    ]
}

// Every `evaluate` is pre-specialized for Float and Double: `Evaluator` calls it through an
// existential metatype, where the generic witness would otherwise run the SIMD kernels
// unspecialized (through witness tables, ~50× slower).

/// The two same-shaped inputs most regression losses take.
private let predictionAndTarget = [
    InputSpec("input", .differentiable, "predictions, any shape"),
    InputSpec("target", .differentiable, "targets, same shape as input"),
]

enum MSEEntry: CatalogEntry {
    static let id = "mse"
    static let summary = "Mean squared error (F.mse_loss)"
    static let formula = "ℓᵢ = (inputᵢ − targetᵢ)², reduced by mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = 2(input − target); ∂ℓᵢ/∂target = −2(input − target); divided by the count for mean"
    static let notes = "Regression to real targets; the Gaussian negative log-likelihood with fixed variance. Reference: torch.nn.functional.mse_loss."
    static let inputs = predictionAndTarget
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try meanSquaredError(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum L1Entry: CatalogEntry {
    static let id = "l1"
    static let aliases = ["mae"]
    static let summary = "Mean absolute error / L1 loss (F.l1_loss)"
    static let formula = "ℓᵢ = |inputᵢ − targetᵢ|, reduced by mean (default), sum or none"
    static let gradient = "∂ℓᵢ/∂input = sign(input − target) with sign(0) = 0; ∂ℓᵢ/∂target = −sign(input − target); divided by the count for mean"
    static let notes = "Regression robust to outliers (the median minimizes it); the negative log-likelihood of Laplace noise with fixed scale. Reference: torch.nn.functional.l1_loss."
    static let inputs = predictionAndTarget
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try meanAbsoluteError(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum EuclideanEntry: CatalogEntry {
    static let id = "euclidean"
    static let summary = "Euclidean loss: ½‖input − target‖² per sample (Caffe EuclideanLoss)"
    static let formula = "ℓₙ = ½ Σⱼ (inputₙⱼ − targetₙⱼ)² over the non-batch dims of [N, ...]; mean over N (default), sum, or none → [N]"
    static let gradient = "∂ℓₙ/∂input = input − target; ∂ℓₙ/∂target = −(input − target); divided by N for mean"
    static let notes = "The L2 loss of VGG-era networks and autoencoders; mean is Caffe's EuclideanLoss (divides by the batch size, not the element count), sum is ½Σ(ŷ − y)². Reference: 0.5·((input − target)²).flatten(1).sum(1) in PyTorch."
    static let inputs = [
        InputSpec("input", .differentiable, "predictions [N, ...] (rank ≥ 1)"),
        InputSpec("target", .differentiable, "targets, same shape as input"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try euclideanLoss(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum HuberEntry: CatalogEntry {
    static let id = "huber"
    static let summary = "Huber loss: quadratic below delta, linear above (F.huber_loss)"
    static let formula = "e = input − target; ℓᵢ = ½e² if |e| < δ, else δ(|e| − ½δ)"
    static let gradient = "∂ℓᵢ/∂input = clamp(e, −δ, δ); ∂ℓᵢ/∂target = −clamp(e, −δ, δ); divided by the count for mean"
    static let notes = "Robust regression: MSE near the target, L1 for outliers; equals δ·smooth-l1 with β = δ. Reference: torch.nn.functional.huber_loss."
    static let inputs = predictionAndTarget
    static let options = [OptionSpec("delta", default: "1.0", "where the loss turns linear (> 0)"), OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try huberLoss(
            input: a.tensor("input"), target: a.tensor("target"), delta: a.number("delta"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum SmoothL1Entry: CatalogEntry {
    static let id = "smooth-l1"
    static let summary = "Smooth L1 loss: ½e²/β below beta, |e| − ½β above (F.smooth_l1_loss)"
    static let formula = "e = input − target; ℓᵢ = ½e²/β if |e| < β, else |e| − ½β; β = 0 is the L1 loss"
    static let gradient = "∂ℓᵢ/∂input = clamp(e/β, −1, 1) (sign(e) for β = 0); ∂ℓᵢ/∂target = −∂ℓᵢ/∂input; divided by the count for mean"
    static let notes = "Bounding-box regression (Fast/Faster R-CNN); huber divided by β. Reference: torch.nn.functional.smooth_l1_loss."
    static let inputs = predictionAndTarget
    static let options = [OptionSpec("beta", default: "1.0", "where the loss turns linear (≥ 0; 0 = L1)"), OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try smoothL1Loss(
            input: a.tensor("input"), target: a.tensor("target"), beta: a.number("beta"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum LogCoshEntry: CatalogEntry {
    static let id = "log-cosh"
    static let summary = "Log-cosh loss: log(cosh(input − target)), computed without overflow"
    static let formula = "e = input − target; ℓᵢ = log cosh e = |e| + softplus(−2|e|) − log 2"
    static let gradient = "∂ℓᵢ/∂input = tanh(e); ∂ℓᵢ/∂target = −tanh(e); divided by the count for mean"
    static let notes = "Smooth robust regression: ≈ ½e² for small errors, ≈ |e| − log 2 for large ones, twice differentiable; finite for any finite error (cosh itself overflows for |e| > 89 in float32). Reference: the stable formula in PyTorch (float64), as Keras' log_cosh."
    static let inputs = predictionAndTarget
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try logCoshLoss(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum MSLEEntry: CatalogEntry {
    static let id = "msle"
    static let summary = "Mean squared logarithmic error: (log1p(input) − log1p(target))²"
    static let formula = "ℓᵢ = (log(1 + inputᵢ) − log(1 + targetᵢ))²; input and target > −1"
    static let gradient = "d = log1p(input) − log1p(target); ∂ℓᵢ/∂input = 2d/(1 + input); ∂ℓᵢ/∂target = −2d/(1 + target); divided by the count for mean"
    static let notes = "Regression of positive quantities spanning orders of magnitude (counts, prices), penalizing relative rather than absolute error; values ≤ −1 are an error. Reference: (log1p(input) − log1p(target))² in PyTorch (Keras' mean_squared_logarithmic_error without its clipping)."
    static let inputs = [
        InputSpec("input", .differentiable, "predictions (> −1), any shape"),
        InputSpec("target", .differentiable, "targets (> −1), same shape as input"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try meanSquaredLogarithmicError(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum MAPEEntry: CatalogEntry {
    static let id = "mape"
    static let summary = "Mean absolute percentage error (Keras)"
    static let formula = "ℓᵢ = 100·|targetᵢ − inputᵢ| / max(|targetᵢ|, 1e-7)"
    static let gradient = "∂ℓᵢ/∂input = 100·sign(input − target)/max(|target|, 1e-7); target is not differentiated; divided by the count for mean"
    static let notes = "Forecasting and business metrics where relative error matters; biased towards under-prediction. Reference: keras.losses.mean_absolute_percentage_error (written in PyTorch)."
    static let inputs = [
        InputSpec("input", .differentiable, "predictions, any shape"),
        InputSpec("target", .constant, "targets, same shape as input (no gradient)"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try meanAbsolutePercentageError(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum GaussianNLLEntry: CatalogEntry {
    static let id = "gaussian-nll"
    static let summary = "Gaussian negative log-likelihood with predicted variance (F.gaussian_nll_loss)"
    static let formula = "ℓᵢ = ½(log max(varᵢ, eps) + (inputᵢ − targetᵢ)²/max(varᵢ, eps)) [+ ½log 2π if full]; log-var=true: ℓᵢ = ½(varᵢ + (inputᵢ − targetᵢ)²·e^(−varᵢ)) with var = log σ², no clamp"
    static let gradient = "v̂ = max(var, eps), e = input − target: ∂/∂input = e/v̂, ∂/∂target = −e/v̂, ∂/∂var = ½(1/v̂ − e²/v̂²) (straight through the clamp; summed over a broadcast dimension); log-var: ∂/∂input = e·e^(−s), ∂/∂s = ½(1 − e²e^(−s)); divided by the count for mean"
    static let notes = "Heteroscedastic regression (the network predicts a mean and a variance, expressing its uncertainty); var may have input's shape, that shape with one dimension of 1, or input's shape without the last dimension; negative var is an error. Reference: torch.nn.functional.gaussian_nll_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "predicted means, any shape"),
        InputSpec("target", .differentiable, "observations, the input's shape or one that broadcasts to it (e.g. one dimension of 1)"),
        InputSpec("var", .differentiable, "variances ≥ 0 (log-variances with log-var=true); input's shape, or with one dimension of 1, or without the last dimension"),
    ]
    static let options = [
        OptionSpec("full", default: "false", "add the constant ½log 2π per element"),
        OptionSpec("eps", default: "1e-06", "variance floor (clamp with straight-through gradient)"),
        OptionSpec("log-var", default: "false", "the var input holds log σ² (no clamp)"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try gaussianNegativeLogLikelihood(
            input: a.tensor("input"), target: a.tensor("target"), variance: a.tensor("var"),
            logVariance: a.flag("log-var"), full: a.flag("full"), eps: a.number("eps"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum LaplaceNLLEntry: CatalogEntry {
    static let id = "laplace-nll"
    static let summary = "Laplace negative log-likelihood with predicted scale"
    static let formula = "ℓᵢ = log max(scaleᵢ, eps) + |targetᵢ − inputᵢ|/max(scaleᵢ, eps) [+ log 2 if full]; log-scale=true: ℓᵢ = scaleᵢ + |targetᵢ − inputᵢ|·e^(−scaleᵢ) with scale = log b, no clamp"
    static let gradient = "b̂ = max(scale, eps), e = input − target: ∂/∂input = sign(e)/b̂, ∂/∂target = −sign(e)/b̂, ∂/∂scale = 1/b̂ − |e|/b̂² (straight through the clamp; summed over a broadcast dimension); log-scale: ∂/∂input = sign(e)e^(−s), ∂/∂s = 1 − |e|e^(−s); divided by the count for mean"
    static let notes = "Robust probabilistic regression: the likelihood whose fixed-scale form is the L1 loss (the NLL ↔ MAE link), with a learned per-element scale; scale broadcasts like gaussian-nll's var; negative scale is an error. Reference: the formula in PyTorch with gaussian_nll_loss's clamp convention."
    static let inputs = [
        InputSpec("input", .differentiable, "predicted locations, any shape"),
        InputSpec("target", .differentiable, "observations, the input's shape or one that broadcasts to it (e.g. one dimension of 1)"),
        InputSpec("scale", .differentiable, "scales ≥ 0 (log-scales with log-scale=true); input's shape, or with one dimension of 1, or without the last dimension"),
    ]
    static let options = [
        OptionSpec("log-scale", default: "false", "the scale input holds log b (no clamp)"),
        OptionSpec("full", default: "false", "add the constant log 2 per element"),
        OptionSpec("eps", default: "1e-06", "scale floor (clamp with straight-through gradient)"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try laplaceNegativeLogLikelihood(
            input: a.tensor("input"), target: a.tensor("target"), scale: a.tensor("scale"),
            logScale: a.flag("log-scale"), full: a.flag("full"), eps: a.number("eps"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum PoissonNLLEntry: CatalogEntry {
    static let id = "poisson-nll"
    static let summary = "Poisson negative log-likelihood (F.poisson_nll_loss)"
    static let formula = "log-input=true: ℓᵢ = e^(inputᵢ) − targetᵢ·inputᵢ; false: ℓᵢ = inputᵢ − targetᵢ·log(inputᵢ + eps); full adds target·log target − target + ½log(2π·target) where target > 1"
    static let gradient = "log-input: ∂/∂input = e^input − target, ∂/∂target = −input; rate: ∂/∂input = 1 − target/(input + eps), ∂/∂target = −log(input + eps); full adds log target + 1/(2·target) to ∂/∂target where target > 1; divided by the count for mean"
    static let notes = "Count regression (events per interval, photon counts, neural spike counts). A zero count contributes 0·log λ = 0 and the masked Stirling term has zero gradient (PyTorch: NaN there); a negative rate is an error. Reference: torch.nn.functional.poisson_nll_loss."
    static let inputs = [
        InputSpec("input", .differentiable, "log-rates (log-input=true) or rates ≥ −eps, any shape"),
        InputSpec("target", .differentiable, "observed counts, same shape as input"),
    ]
    static let options = [
        OptionSpec("log-input", default: "true", "input is log λ (else λ)"),
        OptionSpec("full", default: "false", "add the Stirling approximation of log(target!)"),
        OptionSpec("eps", default: "1e-08", "added to λ before the log when log-input=false"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try poissonNegativeLogLikelihood(
            input: a.tensor("input"), target: a.tensor("target"), logInput: a.flag("log-input"),
            full: a.flag("full"), eps: a.number("eps"), reduction: a.reduction(), wrt: a.wrt)
    }
}
