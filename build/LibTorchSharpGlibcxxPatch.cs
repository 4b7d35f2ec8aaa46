// ELF patch that lets TorchSharp's libLibTorchSharp.so (built with GCC 13) load against an older libstdc++
// (GCC <= 12, e.g. Debian 12), plus the MSBuild task that applies it to build/publish outputs.
//
// The library requires version GLIBCXX_3.4.32 for exactly one symbol, std::ios_base_library_init()
// (_ZSt21ios_base_library_initv), which GCC 13 headers reference but never call. The patch
//   1. sets VER_FLG_WEAK on the GLIBCXX_3.4.32 Vernaux entry of .gnu.version_r, so a missing version is tolerated;
//   2. binds that undefined .dynsym symbol STB_WEAK, so it may stay unresolved (address 0, never called);
//   3. sets its .gnu.version entry to 1 (VER_NDX_GLOBAL), so its lookup no longer needs that version.
// It refuses to act if any other dynamic symbol needs the version (those would then be unresolved but called).
//
// This one file is compiled twice: by RoslynCodeTaskFactory (build/PatchLibTorchSharp.targets) as an inline task,
// and by tests/Learning.Tests with LIBTORCHSHARP_PATCH_WITHOUT_MSBUILD defined (no MSBuild task class).
// RoslynCodeTaskFactory compiles against netstandard 2.0, so keep to that API surface and plain C#.
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace ShapeStudy.Build
{
    /// <summary>What <see cref="GlibcxxWeakVersionPatcher.Patch(byte[])"/> found or did.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The bytes were changed.</summary>
        Patched,
        /// <summary>The library already carries the patch; nothing changed.</summary>
        AlreadyPatched,
        /// <summary>The library does not reference the version at all; nothing to do.</summary>
        VersionNotReferenced,
        /// <summary>Reported by <see cref="GlibcxxWeakVersionPatcher.Inspect(byte[])"/> only: the patch is not applied yet.</summary>
        NeedsPatch,
    }

    /// <summary>Outcome of a patch and the file offsets (bytes) of the three fields it owns.</summary>
    public sealed class ElfPatchResult
    {
        /// <summary>Creates a result.</summary>
        public ElfPatchResult(ElfPatchOutcome outcome, long vernauxFlagsOffset, long symbolInfoOffset, long versymOffset)
        {
            Outcome = outcome;
            VernauxFlagsOffset = vernauxFlagsOffset;
            SymbolInfoOffset = symbolInfoOffset;
            VersymOffset = versymOffset;
        }

        /// <summary>What happened.</summary>
        public ElfPatchOutcome Outcome { get; }
        /// <summary>File offset of the Vernaux <c>vna_flags</c> (uint16), or -1 if the version is not referenced.</summary>
        public long VernauxFlagsOffset { get; }
        /// <summary>File offset of the symbol's <c>st_info</c> byte in .dynsym, or -1.</summary>
        public long SymbolInfoOffset { get; }
        /// <summary>File offset of the symbol's uint16 entry in .gnu.version, or -1.</summary>
        public long VersymOffset { get; }
    }

    /// <summary>
    /// Makes one symbol's GLIBCXX version requirement weak in an ELF64 little-endian shared library
    /// (see the file header for the three edits).
    /// </summary>
    public static class GlibcxxWeakVersionPatcher
    {
        /// <summary>The libstdc++ symbol version GCC 13 introduced.</summary>
        public const string VersionName = "GLIBCXX_3.4.32";
        /// <summary>The only symbol libLibTorchSharp.so needs from <see cref="VersionName"/>; referenced, never called.</summary>
        public const string SymbolName = "_ZSt21ios_base_library_initv";

        /// <summary>Vernaux flag: a missing version is not fatal.</summary>
        public const ushort VerFlagWeak = 0x2;
        /// <summary>Versym index meaning "unversioned / global".</summary>
        public const ushort VersymGlobal = 1;
        /// <summary>Symbol binding STB_GLOBAL.</summary>
        public const byte BindGlobal = 1;
        /// <summary>Symbol binding STB_WEAK.</summary>
        public const byte BindWeak = 2;

        private const uint ShtDynsym = 11;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtGnuVersym = 0x6fffffff;
        private const int Elf64SymSize = 24;
        private const ushort VersymIndexMask = 0x7fff;

        /// <summary>Patches the file in place through a temporary file and an atomic rename; the file's timestamps
        /// are kept so that an incremental copy step (same size, same time) does not overwrite the patched file.</summary>
        public static ElfPatchResult PatchFile(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var result = Patch(bytes);
            if (result.Outcome != ElfPatchOutcome.Patched) return result;

            var lastWrite = File.GetLastWriteTimeUtc(path);
            var temp = path + ".glibcxx-patch.tmp";
            try
            {
                File.WriteAllBytes(temp, bytes);
                File.SetLastWriteTimeUtc(temp, lastWrite);
                // Renaming replaces the directory entry, so a hard link to the NuGet cache is never written through.
                File.Replace(temp, path, null);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            return result;
        }

        /// <summary>Reads the three patched fields without changing anything.</summary>
        public static ElfPatchResult Inspect(byte[] elf) => Run(elf, write: false);

        /// <summary>Patches <paramref name="elf"/> in place. Idempotent: a second call reports
        /// <see cref="ElfPatchOutcome.AlreadyPatched"/> and changes nothing.</summary>
        /// <exception cref="InvalidDataException">Not an ELF64 little-endian file with the expected dynamic sections,
        /// or another dynamic symbol also needs <see cref="VersionName"/>.</exception>
        public static ElfPatchResult Patch(byte[] elf) => Run(elf, write: true);

        private static ElfPatchResult Run(byte[] elf, bool write)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("Not an ELF file.");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("Only ELF64 little-endian files are supported.");

            var sections = ReadSectionHeaders(elf);
            var dynsym = FindSingle(sections, ShtDynsym, ".dynsym");
            var versym = FindSingle(sections, ShtGnuVersym, ".gnu.version");
            var verneed = FindSingle(sections, ShtGnuVerneed, ".gnu.version_r");
            if (dynsym.Link >= sections.Count || verneed.Link >= sections.Count)
                throw new InvalidDataException("Section link out of range.");
            var dynstr = sections[(int)dynsym.Link];
            var verneedStr = sections[(int)verneed.Link];

            // 1. Find the Vernaux entry naming the version.
            long flagsOffset = -1;
            ushort versionIndex = 0;
            long needOffset = verneed.Offset;
            for (uint i = 0; i < verneed.Info; i++)
            {
                CheckRange(elf, needOffset, 16);
                var count = U16(elf, needOffset + 2);
                var auxOffset = needOffset + U32(elf, needOffset + 8);
                for (var j = 0; j < count; j++)
                {
                    CheckRange(elf, auxOffset, 16);
                    var name = ReadString(elf, verneedStr, U32(elf, auxOffset + 8));
                    if (name == VersionName)
                    {
                        if (flagsOffset >= 0) throw new InvalidDataException($"{VersionName} is listed twice in .gnu.version_r.");
                        flagsOffset = auxOffset + 4;
                        versionIndex = (ushort)(U16(elf, auxOffset + 6) & VersymIndexMask);
                    }
                    var nextAux = U32(elf, auxOffset + 12);
                    if (nextAux == 0) break;
                    auxOffset += nextAux;
                }
                var nextNeed = U32(elf, needOffset + 12);
                if (nextNeed == 0) break;
                needOffset += nextNeed;
            }
            if (flagsOffset < 0) return new ElfPatchResult(ElfPatchOutcome.VersionNotReferenced, -1, -1, -1);

            // 2. Find the dynamic symbol by name; every other symbol must not need the version.
            var symbolCount = dynsym.Size / Elf64SymSize;
            if (versym.Size < symbolCount * 2) throw new InvalidDataException(".gnu.version is shorter than .dynsym.");
            CheckRange(elf, dynsym.Offset, symbolCount * Elf64SymSize);
            CheckRange(elf, versym.Offset, symbolCount * 2);
            long infoOffset = -1, versymOffset = -1;
            var others = new List<string>();
            for (long s = 1; s < symbolCount; s++)
            {
                var symOffset = dynsym.Offset + s * Elf64SymSize;
                var entryOffset = versym.Offset + s * 2;
                var index = (ushort)(U16(elf, entryOffset) & VersymIndexMask);
                var name = ReadString(elf, dynstr, U32(elf, symOffset));
                if (name == SymbolName && U16(elf, symOffset + 6) == 0 /* SHN_UNDEF */)
                {
                    if (index != versionIndex && index != VersymGlobal)
                        throw new InvalidDataException($"{SymbolName} is bound to version index {index}, not {VersionName} ({versionIndex}).");
                    if (infoOffset >= 0) throw new InvalidDataException($"{SymbolName} appears twice in .dynsym.");
                    infoOffset = symOffset + 4;
                    versymOffset = entryOffset;
                }
                else if (index == versionIndex)
                {
                    others.Add(name);
                }
            }
            if (others.Count > 0)
                throw new InvalidDataException($"Refusing to weaken {VersionName}: other dynamic symbols need it ({string.Join(", ", others)}).");
            if (infoOffset < 0)
                throw new InvalidDataException($"{VersionName} is required but no undefined dynamic symbol {SymbolName} was found.");

            // 3. Compare with the patched state and write what differs.
            var flags = U16(elf, flagsOffset);
            var info = elf[infoOffset];
            var bind = info >> 4;
            if (bind != BindGlobal && bind != BindWeak)
                throw new InvalidDataException($"{SymbolName} has unexpected binding {bind}.");
            var patchedFlags = (ushort)(flags | VerFlagWeak);
            var patchedInfo = (byte)((BindWeak << 4) | (info & 0xf));
            var alreadyPatched = flags == patchedFlags && info == patchedInfo && U16(elf, versymOffset) == VersymGlobal;
            if (!alreadyPatched && write)
            {
                W16(elf, flagsOffset, patchedFlags);
                elf[infoOffset] = patchedInfo;
                W16(elf, versymOffset, VersymGlobal);
            }
            var outcome = alreadyPatched ? ElfPatchOutcome.AlreadyPatched : write ? ElfPatchOutcome.Patched : ElfPatchOutcome.NeedsPatch;
            return new ElfPatchResult(outcome, flagsOffset, infoOffset, versymOffset);
        }

        /// <summary>True if the file contains the NUL-terminated version definition string (as libstdc++ does for
        /// every version it provides).</summary>
        public static bool LibraryProvidesVersion(string libraryPath, string versionName)
        {
            var needle = Encoding.ASCII.GetBytes(versionName + "\0");
            var haystack = File.ReadAllBytes(libraryPath);
            return IndexOf(haystack, needle) >= 0;
        }

        /// <summary>Locates the libstdc++.so.6 the dynamic loader would use: the multiarch directories first, then
        /// <c>ldconfig -p</c>. Returns null if none is found.</summary>
        public static string? FindSystemLibStdCxx()
        {
            var multiarch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
            string[] candidates =
            {
                "/usr/lib/" + multiarch + "/libstdc++.so.6",
                "/lib/" + multiarch + "/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6",
                "/lib64/libstdc++.so.6",
            };
            foreach (var candidate in candidates)
                if (File.Exists(candidate)) return candidate;

            try
            {
                var start = new ProcessStartInfo("ldconfig", "-p")
                {
                    RedirectStandardOutput = true,
                    UseShellExecute = false,
                    CreateNoWindow = true,
                };
                using (var process = Process.Start(start))
                {
                    if (process == null) return null;
                    var output = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    // Lines look like: "\tlibstdc++.so.6 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libstdc++.so.6"
                    foreach (var line in output.Split('\n'))
                    {
                        var trimmed = line.Trim();
                        if (!trimmed.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal)) continue;
                        var arrow = trimmed.IndexOf("=> ", StringComparison.Ordinal);
                        if (arrow < 0) continue;
                        var path = trimmed.Substring(arrow + 3).Trim();
                        if (File.Exists(path)) return path;
                    }
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // ldconfig is not on PATH.
            }
            return null;
        }

        private struct Section
        {
            public uint Type;
            public long Offset;
            public long Size;
            public uint Link;
            public uint Info;
        }

        private static List<Section> ReadSectionHeaders(byte[] elf)
        {
            var shoff = (long)U64(elf, 0x28);
            var shentsize = U16(elf, 0x3A);
            long shnum = U16(elf, 0x3C);
            if (shoff == 0) throw new InvalidDataException("The ELF file has no section headers.");
            if (shentsize < 64) throw new InvalidDataException("Unexpected section header size.");
            if (shnum == 0)
            {
                // Extended numbering: the real count is in section 0's sh_size.
                CheckRange(elf, shoff, 64);
                shnum = (long)U64(elf, shoff + 32);
            }
            CheckRange(elf, shoff, shnum * shentsize);
            var sections = new List<Section>((int)shnum);
            for (long i = 0; i < shnum; i++)
            {
                var h = shoff + i * shentsize;
                sections.Add(new Section
                {
                    Type = U32(elf, h + 4),
                    Offset = (long)U64(elf, h + 24),
                    Size = (long)U64(elf, h + 32),
                    Link = U32(elf, h + 40),
                    Info = U32(elf, h + 44),
                });
            }
            return sections;
        }

        private static Section FindSingle(List<Section> sections, uint type, string name)
        {
            var found = -1;
            for (var i = 0; i < sections.Count; i++)
            {
                if (sections[i].Type != type) continue;
                if (found >= 0) throw new InvalidDataException($"More than one {name} section.");
                found = i;
            }
            if (found < 0) throw new InvalidDataException($"No {name} section.");
            return sections[found];
        }

        private static string ReadString(byte[] elf, Section table, uint index)
        {
            if (index >= table.Size) throw new InvalidDataException("String index outside its string table.");
            var start = table.Offset + index;
            var end = start;
            var limit = table.Offset + table.Size;
            while (end < limit && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        private static void CheckRange(byte[] elf, long offset, long length)
        {
            if (offset < 0 || length < 0 || offset + length > elf.Length)
                throw new InvalidDataException("ELF structure points outside the file.");
        }

        private static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));
        private static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        private static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);

        private static void W16(byte[] b, long o, ushort v)
        {
            b[o] = (byte)v;
            b[o + 1] = (byte)(v >> 8);
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            var first = needle[0];
            var last = haystack.Length - needle.Length;
            for (var i = 0; i <= last; i++)
            {
                if (haystack[i] != first) continue;
                var j = 1;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }
    }

#if !LIBTORCHSHARP_PATCH_WITHOUT_MSBUILD
    /// <summary>
    /// MSBuild task: patches each given copy of libLibTorchSharp.so unless the system libstdc++ already provides
    /// GLIBCXX_3.4.32. Only acts on Linux.
    /// </summary>
    public sealed class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        private static readonly object Gate = new object();
        private static string? cachedLibStdCxx;
        private static bool? cachedProvides;

        /// <summary>Paths of libLibTorchSharp.so copies in an output or publish folder; missing files are skipped.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>Patch even when the system libstdc++ has the version (for testing the patch itself).</summary>
        public bool Force { get; set; }

        /// <inheritdoc />
        public override bool Execute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return true;

            if (!Force)
            {
                string? libStdCxx;
                bool provides;
                lock (Gate)
                {
                    if (cachedProvides == null)
                    {
                        cachedLibStdCxx = GlibcxxWeakVersionPatcher.FindSystemLibStdCxx();
                        cachedProvides = cachedLibStdCxx != null
                                         && GlibcxxWeakVersionPatcher.LibraryProvidesVersion(cachedLibStdCxx, GlibcxxWeakVersionPatcher.VersionName);
                    }
                    libStdCxx = cachedLibStdCxx;
                    provides = cachedProvides.Value;
                }
                if (libStdCxx == null)
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "PatchLibTorchSharp: no system libstdc++.so.6 found; leaving libLibTorchSharp.so unpatched.");
                    return true;
                }
                if (provides)
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                        "PatchLibTorchSharp: {0} provides {1}; no patch needed.", libStdCxx, GlibcxxWeakVersionPatcher.VersionName);
                    return true;
                }
            }

            foreach (var item in Files)
            {
                var path = item.GetMetadata("FullPath");
                if (!File.Exists(path)) continue;
                try
                {
                    var result = GlibcxxWeakVersionPatcher.PatchFile(path);
                    switch (result.Outcome)
                    {
                        case ElfPatchOutcome.Patched:
                            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                                "PatchLibTorchSharp: made the {0} requirement of {1} weak (system libstdc++ lacks it): {2}",
                                GlibcxxWeakVersionPatcher.VersionName, GlibcxxWeakVersionPatcher.SymbolName, path);
                            break;
                        case ElfPatchOutcome.AlreadyPatched:
                            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "PatchLibTorchSharp: already patched: {0}", path);
                            break;
                        default:
                            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                                "PatchLibTorchSharp: {0} does not need {1}: {2}", Path.GetFileName(path), GlibcxxWeakVersionPatcher.VersionName, path);
                            break;
                    }
                }
                catch (Exception e) when (e is InvalidDataException || e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogError("PatchLibTorchSharp: cannot patch {0}: {1}", path, e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
