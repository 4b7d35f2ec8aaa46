using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace ShapeStudy.Learning;

/// <summary>Versions and thread counts of the loaded TorchSharp/libtorch runtime, recorded for provenance.</summary>
/// <param name="TorchSharpVersion">Informational version of the managed TorchSharp assembly (e.g. "0.107.0").</param>
/// <param name="LibTorchVersion">Version reported by the native libtorch (<c>torch.__version__</c>).</param>
/// <param name="IntraOpThreads">Threads libtorch uses inside one operator (<c>torch.get_num_threads()</c>).</param>
/// <param name="InterOpThreads">Threads libtorch uses across independent operators (<c>torch.get_num_interop_threads()</c>).</param>
public sealed record TorchRuntimeInfo(string TorchSharpVersion, string LibTorchVersion, int IntraOpThreads, int InterOpThreads)
{
    /// <summary>One-line summary, e.g. "TorchSharp 0.107.0, libtorch 2.10.0, 2 intra-op / 2 inter-op threads".</summary>
    public override string ToString() =>
        $"TorchSharp {TorchSharpVersion}, libtorch {LibTorchVersion}, {IntraOpThreads} intra-op / {InterOpThreads} inter-op threads";
}

/// <summary>
/// Entry point every TorchSharp user in ShapeStudy calls first: loads the native CPU backend once and turns a load
/// failure into an actionable <see cref="InvalidOperationException"/>.
/// </summary>
/// <remarks>
/// TorchSharp's <c>libLibTorchSharp.so</c> is built with GCC 13 and declares a dependency on
/// <c>GLIBCXX_3.4.32</c>, which older libstdc++ (GCC ≤ 12, e.g. Debian 12) lacks. The build
/// (<c>build/PatchLibTorchSharp.targets</c>, imported by the root <c>Directory.Build.targets</c>) patches the copy in
/// each project's output folder so that it loads; a stale or unpatched output folder is the usual cause of failure.
/// </remarks>
public static class TorchRuntime
{
    private const string BridgeLibraryFileName = "libLibTorchSharp.so";

    private static readonly Lazy<TorchRuntimeInfo> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Initializes TorchSharp's CPU backend (idempotent, thread-safe).
    /// </summary>
    /// <exception cref="InvalidOperationException">The native libraries could not be loaded; the message names the
    /// library and the loader's reason.</exception>
    public static void EnsureAvailable() => _ = Loaded.Value;

    /// <summary>Loads the backend if needed and returns its versions and thread counts.</summary>
    /// <exception cref="InvalidOperationException">The native libraries could not be loaded.</exception>
    public static TorchRuntimeInfo Describe() => Loaded.Value;

    private static TorchRuntimeInfo Load()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using (var probe = torch.ones(2, 2, dtype: torch.ScalarType.Float32))
            using (var sum = probe.sum())
            {
                var value = sum.item<float>();
                if (value != 4f)
                    throw new InvalidOperationException($"TorchSharp loaded but a probe computation returned {value} instead of 4.");
            }

            var managedVersion = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                                 ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";
            var plus = managedVersion.IndexOf('+', StringComparison.Ordinal);
            if (plus >= 0) managedVersion = managedVersion[..plus];
            return new TorchRuntimeInfo(managedVersion, torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads());
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or EntryPointNotFoundException
                                       or BadImageFormatException or TypeInitializationException)
        {
            throw new InvalidOperationException(DescribeLoadFailure(e), e);
        }
    }

    private static string DescribeLoadFailure(Exception torchSharpError)
    {
        var message = $"TorchSharp's native CPU backend failed to load ({torchSharpError.GetType().Name}: {torchSharpError.Message}).";
        if (!OperatingSystem.IsLinux())
            return message + " Check that the TorchSharp-cpu package's native files for this platform are in the output folder.";

        var bridge = FindBridgeLibrary();
        if (bridge is null)
            return message + $" {BridgeLibraryFileName} was not found under {AppContext.BaseDirectory}; the TorchSharp-cpu " +
                   "native assets were not copied to the output folder. Rebuild the executable/test project that references ShapeStudy.Learning.";

        // Ask the dynamic loader directly: its message names the exact library and missing version.
        string loaderReason;
        try
        {
            var handle = NativeLibrary.Load(bridge);
            NativeLibrary.Free(handle);
            loaderReason = $"{bridge} itself loads, so the failure is elsewhere in the libtorch dependency chain";
        }
        catch (DllNotFoundException e)
        {
            loaderReason = string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return message + $" Loader diagnosis: {loaderReason}. If the reason mentions GLIBCXX_3.4.32, the system libstdc++ is " +
               "older than GCC 13; the build patches the output copy of libLibTorchSharp.so to tolerate that " +
               "(build/PatchLibTorchSharp.targets via Directory.Build.targets). Rebuild the project whose output runs this code " +
               "(e.g. `dotnet build`) so the patched copy is in place; if you copied the output elsewhere, copy the patched file.";
    }

    private static string? FindBridgeLibrary()
    {
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            var other => other.ToString().ToLowerInvariant(),
        };
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, BridgeLibraryFileName),
            Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{arch}", "native", BridgeLibraryFileName),
        ];
        foreach (var candidate in candidates)
            if (File.Exists(candidate)) return candidate;
        return null;
    }
}
