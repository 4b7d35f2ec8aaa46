using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ShapeStudy.Learning;

/// <summary>
/// Bit-for-bit reproducibility of libtorch's CPU matrix products. libtorch links Intel oneMKL, whose default kernels
/// may choose code paths by the memory alignment of the operands, so identical float64 computations can differ in the
/// last bit from run to run. oneMKL's conditional numerical reproducibility (CNR) mode "compatible" removes that
/// dependence; it is what the environment variable <c>MKL_CBWR=COMPATIBLE</c> selects, and here it is set through
/// oneMKL's service entry points exported by <c>libtorch_cpu.so</c>. oneMKL accepts the mode only before its first
/// computation, so this assembly's module initializer puts <c>MKL_CBWR=COMPATIBLE</c> into the native environment
/// (unless the variable is already set) before any code here can load libtorch.
/// </summary>
public static class MklReproducibility
{
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

#pragma warning disable CA2255 // Must run before libtorch (and with it oneMKL) is first loaded by this assembly.
    [ModuleInitializer]
    internal static void RequestCompatibleModeBeforeLoad()
#pragma warning restore CA2255
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MKL_CBWR") is not null) return;
        try { SetEnv("MKL_CBWR", "COMPATIBLE", 0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>oneMKL's MKL_CBWR_BRANCH selector for <c>cbwr_get</c>.</summary>
    private const int Branch = 1;
    /// <summary>oneMKL's MKL_CBWR_COMPATIBLE branch.</summary>
    public const int Compatible = 3;

    [DllImport("libtorch_cpu", EntryPoint = "mkl_serv_cbwr_set")]
    private static extern int CbwrSet(int settings);

    [DllImport("libtorch_cpu", EntryPoint = "mkl_serv_cbwr_get")]
    private static extern int CbwrGet(int option);

    /// <summary>The CNR branch in effect (oneMKL code; 3 = compatible), or null when oneMKL is not reachable.</summary>
    public static int? CurrentBranch()
    {
        TorchRuntime.EnsureAvailable();
        try { return CbwrGet(Branch); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    /// <summary>
    /// Requests the compatible CNR branch. Returns true when it is in effect afterwards (already set, for example by
    /// <c>MKL_CBWR=COMPATIBLE</c>, or set now); false when oneMKL is not reachable or refused the change.
    /// </summary>
    public static bool EnsureCompatible()
    {
        TorchRuntime.EnsureAvailable();
        try
        {
            if (CbwrGet(Branch) == Compatible) return true;
            CbwrSet(Compatible);
            return CbwrGet(Branch) == Compatible;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}
