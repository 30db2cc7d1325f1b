import LossKit

extension Catalog {
    /// Family G of LOSSES.md: losses of generative models.
    static let generative: [any CatalogEntry.Type] = [
        GANEntry.self, GradientPenaltyEntry.self, PerceptualEntry.self, StyleEntry.self, TotalVariationEntry.self,
    ]
}

enum GANEntry: CatalogEntry {
    static let id = "gan"
    static let summary = "Adversarial loss of a GAN's discriminator or generator, from raw discriminator outputs"
    static let formula = """
        x = input (D on fakes), r = real (D on reals). discriminator: minimax/non-saturating softplus(−r) + softplus(x) \
        (= BCE-with-logits(r, 1) + BCE-with-logits(x, 0)); least-squares ½[(r − 1)² + x²]; hinge relu(1 − r) + relu(1 + x); \
        wasserstein x − r. generator: minimax −softplus(x) (= log(1 − σ(x))); non-saturating softplus(−x); \
        least-squares ½(x − 1)²; hinge and wasserstein −x. mean (default), sum or none (shape of input)
        """
    static let gradient = """
        discriminator ∂/∂input, ∂/∂real: minimax/non-saturating σ(x), −σ(−r); least-squares x, r − 1; \
        hinge [1 + x > 0], −[1 − r > 0]; wasserstein 1, −1. generator ∂/∂input: minimax −σ(x); \
        non-saturating −σ(−x); least-squares x − 1; hinge/wasserstein −1 (∂/∂real = 0). divided by the count for mean
        """
    static let notes = """
        Training GANs: non-saturating (the standard choice, DCGAN/StyleGAN), minimax (the original saturating game), \
        least-squares (LSGAN), hinge (SAGAN, BigGAN), wasserstein (WGAN critic, with weight clipping or gradient-penalty). \
        Inputs are logits/critic scores, never probabilities; softplus and log-sigmoid forms keep values and gradients finite \
        for any finite score and give the limits at ±inf. `real` is required for side=discriminator. Reference: the formulas \
        in PyTorch with F.logsigmoid (softplus(z) = −logsigmoid(−z)).
        """
    static let inputs = [
        InputSpec("input", .differentiable, "discriminator outputs on generated samples, [N] (any shape)"),
        InputSpec("real", .differentiable, required: false, "discriminator outputs on real samples, shape of input (required for side=discriminator)"),
    ]
    static let options = [
        OptionSpec("objective", default: "non-saturating", "non-saturating | minimax | least-squares | hinge | wasserstein"),
        OptionSpec("side", default: "discriminator", "discriminator | generator"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try ganLoss(
            input: a.tensor("input"), real: a.optionalTensor("real"), objective: a.choice("objective", as: GANObjective.self),
            side: a.choice("side", as: GANSide.self), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum GradientPenaltyEntry: CatalogEntry {
    static let id = "gradient-penalty"
    static let summary = "Gradient penalty of a GAN critic: WGAN-GP λ(‖∇D‖ − 1)² or R1 (λ/2)‖∇D‖²"
    static let formula = "gₙ = input[n] flattened; ℓₙ = λ·(‖gₙ‖₂ − 1)² (kind=wgan-gp) or (λ/2)·‖gₙ‖₂² (kind=r1); mean over N (default), sum or none → [N]"
    static let gradient = "∂ℓₙ/∂gₙ = 2λ(‖gₙ‖ − 1)·gₙ/‖gₙ‖ (wgan-gp; 0 at gₙ = 0, torch autograd's subgradient of the norm) or λ·gₙ (r1); divided by N for mean"
    static let notes = """
        Regularizing GAN critics: WGAN-GP (Gulrajani et al. 2017) at interpolates of real and fake samples, R1 \
        (Mescheder et al. 2018; StyleGAN) at real samples. The input is ∂D/∂x computed by the caller's framework; this loss \
        gives ∂penalty/∂(∂D/∂x) for the double-backward chain. Norms are rescaled where squares over- or underflow. \
        Reference: λ·((g.flatten(1).norm(2, dim=1) − 1)²).mean() and λ/2·(g.flatten(1).norm(2, dim=1)²).mean() in PyTorch.
        """
    static let inputs = [InputSpec("input", .differentiable, "gradients of the critic w.r.t. its input, [N, ...]")]
    static let options = [
        OptionSpec("kind", default: "wgan-gp", "wgan-gp | r1"),
        OptionSpec("weight", default: "10.0", "λ, the penalty weight (finite, ≥ 0)"),
        OptionSpec.reduction(),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try gradientPenalty(
            input: a.tensor("input"), kind: a.choice("kind", as: GradientPenaltyKind.self), weight: a.number("weight"),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum PerceptualEntry: CatalogEntry {
    static let id = "perceptual"
    static let summary = "LPIPS-style perceptual distance of one feature layer (normalized, weighted channel differences)"
    static let formula = """
        x̂ = x/(‖x‖_C + 1e-10) per position (normalize=true), ŷ likewise; dₙ = (1/(H·W)) Σ_hw Σ_c w_c·(x̂ − ŷ)² \
        (distance=l2) or w_c·|x̂ − ŷ| (l1); w = weight [C] or 1; none (default) → [N], mean or sum over N
        """
    static let gradient = "a = 2w_c(x̂ − ŷ)/(HW) (l2) or w_c·sign(x̂ − ŷ)/(HW) (l1); ∂dₙ/∂x = a/s − x(xᵀa)/(‖x‖s²) with s = ‖x‖ + 1e-10 per position (= a/s at x = 0; = a without normalize); divided by N for mean"
    static let notes = """
        Perceptual similarity and losses for super-resolution, image synthesis and style transfer (LPIPS, Zhang et al. 2018; \
        Johnson et al. 2016 feature losses): pass features from any extractor (VGG, AlexNet, ...); `weight` is LPIPS's learned \
        linear layer. The library's perceptualLoss(layers:) sums several layers with per-layer weights. At a position where \
        every input channel is 0 the gradient is the finite limit (PyTorch's sqrt gives NaN). Reference: LPIPS's \
        normalize_tensor, weighted channel sum and spatial average for one layer, written in PyTorch.
        """
    static let inputs = [
        InputSpec("input", .differentiable, "features of the generated images [N, C, H, W] (any [N, C, ...])"),
        InputSpec("target", .constant, "features of the reference images, shape of input"),
        InputSpec("weight", .constant, required: false, "per-channel weights [C]"),
    ]
    static let options = [
        OptionSpec("normalize", default: "true", "unit-normalize each position's channel vector (eps 1e-10)"),
        OptionSpec("distance", default: "l2", "l2 (squared difference) | l1 (absolute difference)"),
        OptionSpec.reduction(.none),
    ]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try perceptualLoss(
            input: a.tensor("input"), target: a.tensor("target"), weight: a.optionalTensor("weight"),
            normalize: a.flag("normalize"), distance: a.choice("distance", as: PerceptualDistance.self),
            reduction: a.reduction(), wrt: a.wrt)
    }
}

enum StyleEntry: CatalogEntry {
    static let id = "style"
    static let summary = "Style loss: mean squared difference of Gram matrices (Gatys et al.)"
    static let formula = "Fₙ = input[n] as C × (H·W); Gₙ = FₙFₙᵀ/(C·H·W), Ĝₙ from target; ℓₙ = (1/C²) Σᵢⱼ (Gₙ − Ĝₙ)ᵢⱼ²; mean over N (default), sum or none → [N]"
    static let gradient = "∂ℓₙ/∂Fₙ = 4(Gₙ − Ĝₙ)Fₙ/(C³·H·W); divided by N for mean"
    static let notes = """
        Neural style transfer and texture synthesis (Gatys, Ecker & Bethge 2016), usually summed over several VGG layers with \
        per-layer weights by the caller. Only input is differentiated. Reference: G = F.flatten(2) @ F.flatten(2).transpose(1, 2) \
        / (C·H·W), ((G − Ĝ)²).mean((1, 2)) in PyTorch.
        """
    static let inputs = [
        InputSpec("input", .differentiable, "features of the generated images [N, C, H, W] (any [N, C, ...])"),
        InputSpec("target", .constant, "features of the style images, shape of input"),
    ]
    static let options = [OptionSpec.reduction()]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try styleLoss(input: a.tensor("input"), target: a.tensor("target"), reduction: a.reduction(), wrt: a.wrt)
    }
}

enum TotalVariationEntry: CatalogEntry {
    static let id = "total-variation"
    static let summary = "Anisotropic total variation of images (kornia.losses.total_variation)"
    static let formula = "ℓₙ = Σ_c,h,w |x[n,c,h+1,w] − x[n,c,h,w]| + Σ_c,h,w |x[n,c,h,w+1] − x[n,c,h,w]|; sum over N (default), mean over N, or none → [N]"
    static let gradient = "every difference d = x[a] − x[b] adds sign(d) to ∂/∂x[a] and −sign(d) to ∂/∂x[b] (sign(0) = 0); divided by N for mean"
    static let notes = """
        Smoothness prior for image generation, denoising, super-resolution and style transfer. none is \
        kornia.losses.total_variation(x, reduction="sum") summed over channels (kornia 0.9 keeps [N, C]); sum/mean reduce over \
        the batch. kornia's reduction="mean" (average per difference within an image) is not offered.
        """
    static let inputs = [InputSpec("input", .differentiable, "images [N, C, H, W]")]
    static let options = [OptionSpec.reduction(.sum)]
    static func evaluate<T: LossScalar>(_ a: Arguments, as: T.Type) throws -> LossResult<T> {
        try totalVariationLoss(input: a.tensor("input"), reduction: a.reduction(), wrt: a.wrt)
    }
}
