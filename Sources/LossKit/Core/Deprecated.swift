// The names LossKit used before the convention of Conventions.md ("Names"), kept so that code
// written against them still compiles, with a warning that names the replacement.

extension LossArgument {
    @available(*, deprecated, renamed: "logVariance")
    public static var logvar: LossArgument { .logVariance }
}

@available(*, deprecated, renamed: "gaussianNegativeLogLikelihood(input:target:variance:logVariance:full:eps:reduction:wrt:)")
@inlinable
public func gaussianNLLLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, variance: Tensor<T>,
    full: Bool = false, eps: T = 1e-6, logVariance: Bool = false, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target, .variance]
) throws(LossError) -> LossResult<T> {
    try gaussianNegativeLogLikelihood(
        input: input, target: target, variance: variance, logVariance: logVariance, full: full, eps: eps,
        reduction: reduction, wrt: wrt)
}

@available(*, deprecated, renamed: "laplaceNegativeLogLikelihood(input:target:scale:logScale:full:eps:reduction:wrt:)")
@inlinable
public func laplaceNLLLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, scale: Tensor<T>,
    logScale: Bool = false, full: Bool = false, eps: T = 1e-6, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target, .scale]
) throws(LossError) -> LossResult<T> {
    try laplaceNegativeLogLikelihood(
        input: input, target: target, scale: scale, logScale: logScale, full: full, eps: eps,
        reduction: reduction, wrt: wrt)
}

@available(*, deprecated, renamed: "poissonNegativeLogLikelihood(input:target:logInput:full:eps:reduction:wrt:)")
@inlinable
public func poissonNLLLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, logInput: Bool = true, full: Bool = false, eps: T = 1e-8,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try poissonNegativeLogLikelihood(
        input: input, target: target, logInput: logInput, full: full, eps: eps, reduction: reduction, wrt: wrt)
}

@available(*, deprecated, renamed: "vaeKLDivergence(mean:logVariance:reduction:wrt:)")
@inlinable
public func vaeKLDivergence<T: LossScalar>(
    mean: Tensor<T>, logvar: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.mean, .logVariance]
) throws(LossError) -> LossResult<T> {
    try vaeKLDivergence(mean: mean, logVariance: logvar, reduction: reduction, wrt: wrt)
}

@available(*, deprecated, renamed: "attentionTargetLoss(input:target:logLoss:reduction:wrt:)")
@inlinable
public func attentionTargetLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, log: Bool, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try attentionTargetLoss(input: input, target: target, logLoss: log, reduction: reduction, wrt: wrt)
}
