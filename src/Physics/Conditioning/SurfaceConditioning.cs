using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>Smoothing applied by <see cref="SurfaceConditioning.Condition"/>.</summary>
public enum SmoothingMethod
{
    /// <summary>No smoothing.</summary>
    None,
    /// <summary>Taubin λ|μ smoothing (<see cref="MeshSmoothing.Taubin"/>).</summary>
    Taubin,
    /// <summary>Feature-preserving bilateral normal filtering (<see cref="MeshSmoothing.FeaturePreserving"/>).</summary>
    Feature,
}

/// <summary>Options of <see cref="SurfaceConditioning.Condition"/>. Lengths in µm.</summary>
/// <param name="Smoothing">Smoothing method (default Taubin).</param>
/// <param name="SmoothingIterations">Smoothing iterations (default 10).</param>
/// <param name="TargetEdgeUm">Decimate edges shorter than this (µm) by quadric-error collapses; null (default) keeps the resolution.</param>
/// <param name="ImproveAngles">Edge flips and tangential relocation to raise the smallest angle (default true).</param>
/// <param name="PreserveVolume">Restore the repaired input's enclosed volume after every geometric stage by a uniform
/// normal offset (default true).</param>
/// <param name="MaxHoleEdges">Largest boundary loop (edges) closed by repair; larger holes are an error (default 256).</param>
/// <param name="FeatureAngleDeg">Dihedral angle (degrees) above which edges count as features for flips and relocation (default 30).</param>
/// <param name="SmoothFolds">Locally smooth folded spots (spikes, crumples: a triangle normal more than 75° from its
/// vertex normal) before decimation and angle improvement (default true; <see cref="MeshSmoothing.SmoothFolds"/>).</param>
public sealed record ConditioningOptions(
    SmoothingMethod Smoothing = SmoothingMethod.Taubin,
    int SmoothingIterations = 10,
    double? TargetEdgeUm = null,
    bool ImproveAngles = true,
    bool PreserveVolume = true,
    int MaxHoleEdges = 256,
    double FeatureAngleDeg = 30,
    bool SmoothFolds = true)
{
    /// <summary>The defaults: Taubin ×10, no decimation, angle improvement, volume preserved, holes up to 256 edges closed.</summary>
    public static ConditioningOptions Default { get; } = new();
}

/// <summary>
/// A conditioned surface with its quality before and after. <see cref="Repairs"/> lists, in order, every repair made to
/// the input and every conditioning stage that was undone because it would have created self-intersections.
/// </summary>
/// <param name="Mesh">The conditioned surface, µm, outward CCW triangles.</param>
/// <param name="Quality">Quality of <paramref name="Mesh"/>.</param>
/// <param name="InputQuality">Quality of the input as given.</param>
/// <param name="Repairs">Human-readable repairs and reverted stages; empty when the input needed none.</param>
/// <param name="ReferenceVolumeUm3">Enclosed volume of the repaired input (µm³): the volume the conditioning keeps.</param>
public sealed record ConditioningResult(TriangleMesh Mesh, MeshQualityReport Quality, MeshQualityReport InputQuality,
    IReadOnlyList<string> Repairs, double ReferenceVolumeUm3)
{
    /// <summary>Relative change of enclosed volume against <see cref="ReferenceVolumeUm3"/>: (V − V₀) / V₀.</summary>
    public double RelativeVolumeChange => (Quality.VolumeUm3 - ReferenceVolumeUm3) / ReferenceVolumeUm3;
}

/// <summary>
/// The surface conditioning pipeline: repair (only when the input is open, non-manifold, inconsistently oriented,
/// inside out, has zero-area triangles or unreferenced vertices) → smoothing → self-intersection removal by local
/// smoothing → fold smoothing → decimation to a target edge length → sliver removal, edge flips and tangential
/// relocation → a last self-intersection removal → quality report. After each geometric stage the enclosed volume is
/// restored to the repaired input's by a uniform normal offset, and a stage that would raise the self-intersection count
/// (even after local smoothing) is undone; both facts are stated in <see cref="ConditioningResult.Repairs"/>.
/// </summary>
public static class SurfaceConditioning
{
    /// <summary>Conditions one surface mesh (µm).</summary>
    /// <exception cref="MeshConditioningException">The input cannot be made into a closed surface (see <see cref="MeshRepair"/>).</exception>
    public static ConditioningResult Condition(TriangleMesh mesh, ConditioningOptions? options = null)
    {
        options ??= ConditioningOptions.Default;
        if (options.SmoothingIterations < 0) throw new ArgumentOutOfRangeException(nameof(options), "smoothing iterations must be ≥ 0");
        if (options.TargetEdgeUm is { } te && !(te > 0)) throw new ArgumentOutOfRangeException(nameof(options), "target_edge_um must be > 0 µm");
        var input = SurfaceQuality.Measure(mesh);
        var repairs = new List<string>();
        var current = mesh;
        if (!input.Watertight || !input.Manifold || !input.Outward || input.DegenerateTriangles > 0 || input.Vertices != mesh.VertexCount)
        {
            var repaired = MeshRepair.Repair(mesh, options.MaxHoleEdges);
            repairs.AddRange(repaired.Repairs);
            current = repaired.Mesh;
        }
        double reference = current.SignedVolume();
        int intersections = SelfIntersection.Count(current);

        TriangleMesh Stage(TriangleMesh before, string name, Func<TriangleMesh, TriangleMesh> apply)
        {
            var after = apply(before);
            if (options.PreserveVolume) after = MeshSmoothing.RestoreVolume(after, reference);
            int count = SelfIntersection.Count(after);
            if (count > intersections)
            {
                // Try to smooth the new intersections away before giving the stage up.
                var resolved = SelfIntersection.Resolve(after).Mesh;
                if (options.PreserveVolume) resolved = MeshSmoothing.RestoreVolume(resolved, reference);
                int left = SelfIntersection.Count(resolved);
                if (left <= intersections) { after = resolved; count = left; }
            }
            if (count > intersections)
            {
                repairs.Add($"{name} undone: it would have created {count - intersections} self-intersecting triangle pairs");
                return before;
            }
            intersections = count;
            return after;
        }

        void Resolve(string when)
        {
            if (intersections == 0) return;
            int before = intersections;
            current = Stage(current, "self-intersection removal", m => SelfIntersection.Resolve(m).Mesh);
            if (intersections < before)
                repairs.Add($"removed {before - intersections} of {before} self-intersecting triangle pairs {when} by local smoothing");
        }

        if (intersections > 0) repairs.Add($"input has {intersections} self-intersecting triangle pairs");
        if (options.SmoothingIterations > 0)
        {
            if (options.Smoothing == SmoothingMethod.Taubin)
                current = Stage(current, "Taubin smoothing", m => MeshSmoothing.Taubin(m, options.SmoothingIterations));
            else if (options.Smoothing == SmoothingMethod.Feature)
                current = Stage(current, "feature-preserving smoothing", m => MeshSmoothing.FeaturePreserving(m, options.SmoothingIterations));
        }
        Resolve("after smoothing");
        if (options.SmoothFolds)
        {
            int folded = 0;
            current = Stage(current, "fold smoothing", m => { var r = MeshSmoothing.SmoothFolds(m); folded = r.FoldedVertices; return r.Mesh; });
            if (folded > 0) repairs.Add($"smoothed {folded} folded vertices (a triangle normal more than 75° from the vertex normal)");
        }
        if (options.TargetEdgeUm is { } target)
            current = Stage(current, "decimation", m => MeshDecimation.Decimate(m, target));
        if (options.ImproveAngles)
            current = Stage(current, "angle improvement", m => MeshAngleImprovement.Improve(m, featureAngleDeg: options.FeatureAngleDeg));
        Resolve("left after conditioning");
        if (intersections > 0) repairs.Add($"{intersections} self-intersecting triangle pairs remain");
        return new ConditioningResult(current, SurfaceQuality.Measure(current), input, repairs, reference);
    }
}
