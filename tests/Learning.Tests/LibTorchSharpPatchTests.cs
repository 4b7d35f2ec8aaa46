using System.Reflection;
using System.Security.Cryptography;
using ShapeStudy.Build;

namespace ShapeStudy.Learning.Tests;

/// <summary>
/// The build's ELF patcher (build/LibTorchSharpGlibcxxPatch.cs) applied to the pristine libLibTorchSharp.so of
/// TorchSharp 0.107.0 from the NuGet cache. Reference offsets come from binutils on that exact file:
/// <c>readelf -SW</c>: .dynsym at 0x3890 (24-byte entries), .gnu.version at 0x3dfae, .gnu.version_r at 0x3f8f0;
/// <c>readelf -V</c>: GLIBCXX_3.4.32 is the Vernaux at 0x140 in .gnu.version_r with version index 18;
/// <c>readelf --dyn-syms</c>: _ZSt21ios_base_library_initv@GLIBCXX_3.4.32 is symbol 482 (FUNC GLOBAL UND) and
/// _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.30 is symbol 1017.
/// </summary>
public sealed class LibTorchSharpPatchTests
{
    private const string PristineSha256 = "cf33b1b0bb6bbb9754a768fb5c5d04d9f498603be50e73f55621a0b40ee608b8";
    private const long DynsymOffset = 0x3890;
    private const long VersymSectionOffset = 0x3dfae;
    private const long VernauxFlagsOffset = 0x3f8f0 + 0x140 + 4;
    private const int IosBaseInitSymbol = 482;
    private const int ConditionVariableWaitSymbol = 1017;
    private const ushort Glibcxx3432Index = 18;

    private static byte[] PristineLibrary()
    {
        var root = typeof(LibTorchSharpPatchTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value;
        Assert.False(string.IsNullOrEmpty(root), "NuGetPackageRoot was not recorded at build time.");
        var path = Path.Combine(root!, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"Pristine TorchSharp native library not found at {path}.");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(PristineSha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        return bytes;
    }

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));

    [Fact]
    public void Patch_ChangesExactlyTheThreeFieldsReadelfLocates()
    {
        var original = PristineLibrary();
        var patched = (byte[])original.Clone();
        const long infoOffset = DynsymOffset + IosBaseInitSymbol * 24 + 4;
        const long versymOffset = VersymSectionOffset + IosBaseInitSymbol * 2;

        Assert.Equal(ElfPatchOutcome.NeedsPatch, GlibcxxWeakVersionPatcher.Inspect(patched).Outcome);
        var result = GlibcxxWeakVersionPatcher.Patch(patched);

        Assert.Equal(ElfPatchOutcome.Patched, result.Outcome);
        Assert.Equal(VernauxFlagsOffset, result.VernauxFlagsOffset);
        Assert.Equal(infoOffset, result.SymbolInfoOffset);
        Assert.Equal(versymOffset, result.VersymOffset);

        // Before: flags none, FUNC GLOBAL (0x12), version index 18. After: WEAK flag, FUNC WEAK (0x22), index 1.
        Assert.Equal(0, U16(original, VernauxFlagsOffset));
        Assert.Equal(0x12, original[infoOffset]);
        Assert.Equal(Glibcxx3432Index, U16(original, versymOffset));
        Assert.Equal(GlibcxxWeakVersionPatcher.VerFlagWeak, U16(patched, VernauxFlagsOffset));
        Assert.Equal(0x22, patched[infoOffset]);
        Assert.Equal(GlibcxxWeakVersionPatcher.VersymGlobal, U16(patched, versymOffset));

        // Nothing else moved.
        var allowed = new HashSet<long> { VernauxFlagsOffset, VernauxFlagsOffset + 1, infoOffset, versymOffset, versymOffset + 1 };
        Assert.Equal(original.Length, patched.Length);
        for (long i = 0; i < original.Length; i++)
            if (original[i] != patched[i]) Assert.Contains(i, allowed);
    }

    [Fact]
    public void Patch_IsIdempotent()
    {
        var once = PristineLibrary();
        GlibcxxWeakVersionPatcher.Patch(once);
        var twice = (byte[])once.Clone();

        var second = GlibcxxWeakVersionPatcher.Patch(twice);

        Assert.Equal(ElfPatchOutcome.AlreadyPatched, second.Outcome);
        Assert.Equal(once, twice);
        Assert.Equal(ElfPatchOutcome.AlreadyPatched, GlibcxxWeakVersionPatcher.Inspect(twice).Outcome);
    }

    [Fact]
    public void PatchFile_TwiceYieldsIdenticalBytesAndKeepsTimestamp()
    {
        var dir = Directory.CreateTempSubdirectory("libtorchsharp-patch-");
        try
        {
            var path = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.WriteAllBytes(path, PristineLibrary());
            var stamp = new DateTime(2026, 5, 7, 12, 0, 0, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(path, stamp);

            Assert.Equal(ElfPatchOutcome.Patched, GlibcxxWeakVersionPatcher.PatchFile(path).Outcome);
            var first = File.ReadAllBytes(path);
            Assert.Equal(ElfPatchOutcome.AlreadyPatched, GlibcxxWeakVersionPatcher.PatchFile(path).Outcome);

            Assert.Equal(first, File.ReadAllBytes(path));
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
            Assert.Single(Directory.GetFiles(dir.FullName)); // no temp file left behind
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void BuildOutputCopy_IsPatchedExactlyWhenSystemLibStdCxxLacksTheVersion()
    {
        var pristine = PristineLibrary();
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"Build did not copy libLibTorchSharp.so to {output}.");
        var libStdCxx = GlibcxxWeakVersionPatcher.FindSystemLibStdCxx();
        Assert.NotNull(libStdCxx);

        var expected = (byte[])pristine.Clone();
        if (!GlibcxxWeakVersionPatcher.LibraryProvidesVersion(libStdCxx!, GlibcxxWeakVersionPatcher.VersionName))
            GlibcxxWeakVersionPatcher.Patch(expected);

        Assert.Equal(expected, File.ReadAllBytes(output));
    }

    [Fact]
    public void Patch_RefusesWhenAnotherSymbolNeedsTheVersion()
    {
        var bytes = PristineLibrary();
        var otherVersym = VersymSectionOffset + ConditionVariableWaitSymbol * 2;
        bytes[otherVersym] = (byte)Glibcxx3432Index;
        bytes[otherVersym + 1] = 0;
        var before = (byte[])bytes.Clone();

        var e = Assert.Throws<InvalidDataException>(() => GlibcxxWeakVersionPatcher.Patch(bytes));

        Assert.Contains("_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE", e.Message);
        Assert.Equal(before, bytes);
    }

    [Fact]
    public void Patch_RejectsNonElfInput()
    {
        var notElf = new byte[128];
        "#!/bin/sh\n"u8.CopyTo(notElf);
        Assert.Throws<InvalidDataException>(() => GlibcxxWeakVersionPatcher.Patch(notElf));
    }

    [Fact]
    public void LibraryProvidesVersion_MatchesOnlyTheNulTerminatedName()
    {
        var dir = Directory.CreateTempSubdirectory("libstdcxx-probe-");
        try
        {
            var has = Path.Combine(dir.FullName, "has.so");
            var lacks = Path.Combine(dir.FullName, "lacks.so");
            File.WriteAllBytes(has, "\0GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0GLIBCXX_3.4.33\0"u8.ToArray());
            File.WriteAllBytes(lacks, "\0GLIBCXX_3.4.30\0GLIBCXX_3.4.320\0GLIBCXX_3.4.3\0"u8.ToArray());

            Assert.True(GlibcxxWeakVersionPatcher.LibraryProvidesVersion(has, "GLIBCXX_3.4.32"));
            Assert.False(GlibcxxWeakVersionPatcher.LibraryProvidesVersion(lacks, "GLIBCXX_3.4.32"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
