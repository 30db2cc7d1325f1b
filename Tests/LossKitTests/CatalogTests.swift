import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Cross-cutting sweeps over every loss in the catalog, so a new loss gets them by registering.
final class CatalogTests: XCTestCase {
    static let families = [
        "regression", "classification", "binary_classification", "margin_classification", "divergence", "distillation",
        "segmentation", "detection", "metric_learning", "contrastive", "ranking", "attention_target", "sequence",
        "generative", "reinforcement", "linear_cross_entropy",
    ]

    /// Every id of LOSSES.md's catalog (families A–I), written out from /work/shared/LOSSES.md's
    /// tables in order; `losskit list` must show exactly these (compared both directions).
    static let specifiedIDs = [
        // A. Regression
        "mse", "l1", "euclidean", "huber", "smooth-l1", "log-cosh", "msle", "mape", "gaussian-nll",
        "laplace-nll", "poisson-nll",
        // B. Classification
        "cross-entropy", "nll", "bce", "bce-with-logits", "focal", "sigmoid-focal", "soft-margin",
        "multilabel-soft-margin", "multi-margin", "multilabel-margin", "hinge-embedding", "hinge",
        "squared-hinge", "categorical-hinge", "poly1",
        // C. Divergences, distillation, latent regularizers
        "kl-div", "js-div", "distillation", "vae-kl",
        // D. Segmentation and detection
        "dice", "jaccard", "tversky", "lovasz", "box-iou", "giou", "diou", "ciou",
        // E. Metric learning, alignment and ranking
        "triplet", "contrastive", "cosine-embedding", "info-nce", "nt-xent", "clip", "supcon",
        "margin-ranking", "pairwise-ranking", "listwise-ranking", "attention-target",
        // F. Sequences
        "ctc",
        // G. Generative models
        "gan", "gradient-penalty", "perceptual", "style", "total-variation",
        // H. Reinforcement learning and LLM alignment
        "ppo-clip", "kl-penalty",
        // I. Large vocabularies
        "linear-cross-entropy",
    ]

    func allCases() throws -> [FixtureCase] {
        try Self.families.flatMap { try Fixtures.load($0).cases }
    }

    func testEverySpecifiedLossIsInTheCatalog() {
        let ids = Set(Catalog.entries.map { $0.id })
        let specified = Set(Self.specifiedIDs)
        XCTAssertEqual(specified.count, Self.specifiedIDs.count, "duplicate ids in the specified list")
        for id in Self.specifiedIDs { XCTAssertTrue(ids.contains(id), "\(id) is in LOSSES.md but not in the catalog") }
        for id in ids.sorted() { XCTAssertTrue(specified.contains(id), "\(id) is in the catalog but not in LOSSES.md") }
        XCTAssertEqual(ids.count, Catalog.entries.count, "duplicate ids")
        XCTAssertEqual(Catalog.entry(named: "mae")?.id, "l1", "alias mae")
    }

    /// No loss ships without reference cases in both precisions.
    func testEveryCatalogLossHasReferenceCasesInBothDtypes() throws {
        let cases = try allCases()
        for e in Catalog.entries {
            for dtype in ["float32", "float64"] {
                XCTAssertTrue(cases.contains { $0.loss == e.id && $0.dtype == dtype }, "\(e.id) has no \(dtype) reference case")
            }
        }
    }

    func testEveryEntryIsDocumentedForDescribe() {
        for e in Catalog.entries {
            XCTAssertFalse(e.summary.isEmpty || e.formula.isEmpty || e.gradient.isEmpty || e.notes.isEmpty, e.id)
            // Every row of LOSSES.md lists at least one option; names are unique, and a default of a
            // choice option is one of its choices.
            XCTAssertFalse(e.options.isEmpty, "\(e.id) has no options")
            let names = e.options.map(\.name)
            XCTAssertEqual(Set(names).count, names.count, "\(e.id): duplicate option names \(names)")
            for o in e.options {
                if let choices = o.choices, let d = o.defaultValue {
                    XCTAssertTrue(choices.contains(d), "\(e.id) option \(o.name): default \(d) not in \(choices)")
                }
            }
            XCTAssertTrue(e.inputs.contains { $0.kind == .differentiable || $0.kind == .labelsOrDifferentiable }, "\(e.id) has no ∂ input")
            for o in e.options { XCTAssertFalse(o.summary.isEmpty, "\(e.id) option \(o.name)") }
            XCTAssertTrue(Describe.text(for: e).contains(e.formula))
        }
    }

    /// With `mean`, every gradient is the `sum` gradient divided by the same denominator as the
    /// value: grad_mean = grad_sum · value_mean / value_sum.
    func testGradientOfMeanIsGradientOfSumOverTheDenominator() throws {
        var compared = 0
        // ctc's mean divides each sequence by its own target length (as F.ctc_loss), so it has no
        // common denominator; SequenceTests checks its per-sequence rule.
        for c in try allCases() where c.dtype == "float64" && c.options["reduction"] == "mean" && c.loss != "ctc" {
            var sumOptions = c.options
            sumOptions["reduction"] = "sum"
            let m = try Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: c.options, gradients: c.grad)
            let s = try Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: sumOptions, gradients: c.grad)
            let vm = m.value.doubles[0], vs = s.value.doubles[0]
            guard vs.isFinite, vm.isFinite, abs(vs) > 1e-12 else { continue }
            let ratio = vm / vs
            for (gm, gs) in zip(m.gradients, s.gradients) {
                for (a, b) in zip(gm.tensor.doubles, gs.tensor.doubles) {
                    XCTAssertEqual(a, b * ratio, accuracy: 1e-12 * max(1, abs(a)), "\(c.name) grad.\(gm.name)")
                }
            }
            compared += 1
        }
        XCTAssertGreaterThan(compared, 0)
    }

    /// A value-only call computes the same value as the call with gradients.
    func testValueOnlyCallGivesTheSameValue() throws {
        for c in try allCases() {
            let full = try Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: c.options, gradients: c.grad)
            let value = try Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: c.options, gradients: ["none"])
            XCTAssertTrue(value.gradients.isEmpty, c.name)
            assertClose(value.value, full.value, rtol: 1e-6, atolScale: 1e-7, "\(c.name) value-only")
        }
    }

    /// Float in, Float out: a float32 call never returns float64 (no precision widening), and
    /// the gradients have the shapes of their inputs.
    func testOutputsKeepTheInputDtypeAndGradientsTheInputShape() throws {
        for c in try allCases() {
            let out = try Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: c.options, gradients: c.grad)
            XCTAssertEqual(out.value.dtype, c.dtype, c.name)
            for g in out.gradients {
                XCTAssertEqual(g.tensor.dtype, c.dtype, "\(c.name) grad.\(g.name)")
                XCTAssertEqual(g.tensor.shape, c.inputs[g.name]?.shape, "\(c.name) grad.\(g.name)")
            }
        }
    }

    func testUnknownOptionsAndInputsAreRejectedByName() throws {
        let x = DynamicTensor.float32(Tensor([1, 2] as [Float]))
        let cases = try allCases()
        for e in Catalog.entries {
            // Valid inputs (a reference case of the loss), so the unknown option is what fails.
            guard let c = cases.first(where: { $0.loss == e.id }) else { XCTFail("\(e.id) has no reference case"); continue }
            XCTAssertNoThrow(try Evaluator.evaluate(id: e.id, inputs: c.inputs, options: c.options), c.name)
            var options = c.options
            options["no-such-option"] = "1"
            XCTAssertThrowsError(try Evaluator.evaluate(id: e.id, inputs: c.inputs, options: options)) { err in
                XCTAssertTrue("\(err)".contains("no-such-option"), "\(e.id): \(err)")
            }
            XCTAssertThrowsError(try Evaluator.evaluate(id: e.id, inputs: ["bogus": x], options: [:])) { err in
                XCTAssertTrue("\(err)".contains("bogus"), "\(e.id): \(err)")
            }
        }
    }

    /// A reduction the loss does not define is rejected with the loss's own list of choices (not
    /// every `Reduction`): `batchmean` only where the table lists it.
    func testInvalidReductionsNameTheLossesOwnChoices() throws {
        var checked = Set<String>()
        for c in try allCases() where c.options["reduction"] != nil && !checked.contains(c.loss) {
            guard let choices = Catalog.entry(named: c.loss)?.options.first(where: { $0.name == "reduction" })?.choices else {
                XCTFail("\(c.loss): the reduction option does not list its choices"); continue
            }
            checked.insert(c.loss)
            let expected = "one of " + choices.joined(separator: ", ")
            for bad in ["garbage"] + (choices.contains("batchmean") ? [] : ["batchmean"]) {
                var options = c.options
                options["reduction"] = bad
                XCTAssertThrowsError(try Evaluator.evaluate(id: c.loss, inputs: c.inputs, options: options)) { err in
                    guard case LossError.invalidOption(name: "reduction", value: bad, expected: expected) = err else {
                        return XCTFail("\(c.loss) reduction=\(bad): \(err)")
                    }
                }
            }
        }
        XCTAssertTrue(checked.contains("mse") && checked.contains("kl-div"))
    }
}
