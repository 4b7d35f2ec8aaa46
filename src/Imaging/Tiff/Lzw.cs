namespace ShapeStudy.Imaging;

/// <summary>TIFF-flavoured LZW decoder (MSB-first codes of 9–12 bits, Clear = 256, EOI = 257, early change).</summary>
internal static class Lzw
{
    private const int Clear = 256, Eoi = 257, MaxCodes = 4096;

    /// <summary>Decodes <paramref name="src"/> into <paramref name="dest"/>; returns the number of bytes written
    /// (at most dest.Length), or -1 when the code stream is invalid.</summary>
    public static int Decode(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        var prefix = new short[MaxCodes];
        var suffix = new byte[MaxCodes];
        var first = new byte[MaxCodes];
        var length = new int[MaxCodes];
        for (int i = 0; i < 256; i++) { prefix[i] = -1; suffix[i] = (byte)i; first[i] = (byte)i; length[i] = 1; }

        int nextCode = 258, width = 9, old = -1, o = 0;
        long bitPos = 0, totalBits = (long)src.Length * 8;
        while (o < dest.Length)
        {
            if (bitPos + width > totalBits) break;
            int code = ReadBits(src, bitPos, width);
            bitPos += width;
            if (code == Eoi) break;
            if (code == Clear)
            {
                nextCode = 258; width = 9; old = -1;
                continue;
            }
            if (old < 0)
            {
                if (code > 255) return -1;
                dest[o++] = (byte)code;
                old = code;
                continue;
            }
            int emit;
            byte firstByte;
            if (code < nextCode) { emit = code; firstByte = first[code]; }
            else if (code == nextCode) { emit = -1; firstByte = first[old]; }
            else return -1;

            if (nextCode < MaxCodes)
            {
                prefix[nextCode] = (short)old;
                suffix[nextCode] = firstByte;
                first[nextCode] = first[old];
                length[nextCode] = length[old] + 1;
                if (emit < 0) emit = nextCode;
                nextCode++;
                if (nextCode >= (1 << width) - 1 && width < 12) width++;
            }
            else if (emit < 0) return -1;

            o += WriteString(emit, prefix, suffix, length, dest[o..]);
            old = code;
        }
        return o;
    }

    private static int WriteString(int code, short[] prefix, byte[] suffix, int[] length, Span<byte> dest)
    {
        int len = length[code];
        int written = Math.Min(len, dest.Length);
        int pos = len - 1;
        while (code >= 0)
        {
            if (pos < written) dest[pos] = suffix[code];
            pos--;
            code = prefix[code];
        }
        return written;
    }

    private static int ReadBits(ReadOnlySpan<byte> src, long bitPos, int width)
    {
        int byteIndex = (int)(bitPos >> 3);
        int bitOffset = (int)(bitPos & 7);
        uint acc = 0;
        for (int i = 0; i < 3; i++)
        {
            acc <<= 8;
            if (byteIndex + i < src.Length) acc |= src[byteIndex + i];
        }
        return (int)((acc >> (24 - bitOffset - width)) & ((1u << width) - 1));
    }
}

/// <summary>TIFF-flavoured LZW encoder matching <see cref="Lzw"/> (and libtiff): MSB-first codes of 9–12 bits, a Clear
/// code first and whenever the table fills, early change of the code width, EOI at the end.</summary>
internal sealed class LzwEncoder
{
    private const int Clear = 256, Eoi = 257, FirstFree = 258, TableFull = 4094, Slots = 1 << 13;
    private readonly int[] _keys = new int[Slots];
    private readonly short[] _codes = new short[Slots];
    private int _generation;
    private readonly int[] _stamp = new int[Slots];

    /// <summary>Encodes <paramref name="src"/> and returns the code stream.</summary>
    public byte[] Encode(ReadOnlySpan<byte> src)
    {
        var output = new MemoryStream(src.Length / 2 + 16);
        uint acc = 0;
        int bits = 0;
        void Put(int code, int width)
        {
            acc = (acc << width) | (uint)code;
            bits += width;
            while (bits >= 8)
            {
                output.WriteByte((byte)(acc >> (bits - 8)));
                bits -= 8;
            }
            acc &= (1u << bits) - 1;
        }

        int width = 9, next = FirstFree;
        Reset();
        Put(Clear, width);
        if (src.Length > 0)
        {
            int w = src[0];
            for (int i = 1; i < src.Length; i++)
            {
                byte c = src[i];
                int key = (w << 8) | c;
                int found = Find(key, out int slot);
                if (found >= 0) { w = found; continue; }
                Put(w, width);
                _keys[slot] = key; _codes[slot] = (short)next; _stamp[slot] = _generation;
                next++;
                if (next == TableFull)
                {
                    Put(Clear, width);
                    Reset();
                    width = 9; next = FirstFree;
                }
                else if (next > (1 << width) - 1) width++;
                w = c;
            }
            Put(w, width);
            next++;
            if (next > (1 << width) - 1 && width < 12) width++;
        }
        Put(Eoi, width);
        if (bits > 0) output.WriteByte((byte)(acc << (8 - bits)));
        return output.ToArray();
    }

    private void Reset() => _generation++;

    /// <summary>The code of <paramref name="key"/> or −1; <paramref name="slot"/> is where it is or would go.</summary>
    private int Find(int key, out int slot)
    {
        slot = (int)((uint)(key * -1640531535) >> 19);   // Fibonacci hash to 13 bits
        while (_stamp[slot] == _generation)
        {
            if (_keys[slot] == key) return _codes[slot];
            slot = (slot + 1) & (Slots - 1);
        }
        return -1;
    }
}
