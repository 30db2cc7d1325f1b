// LossKitDifferentiation: LossKit's losses and the tensor operations of a small model in
// Swift's native automatic differentiation. The core `LossKit` module never imports
// `_Differentiation`; this one does, where the toolchain has it (every file is guarded, so the
// package builds without it, e.g. with Apple's SDKs on ABI-stable platforms).
@_exported import LossKit
