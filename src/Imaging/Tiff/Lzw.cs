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
