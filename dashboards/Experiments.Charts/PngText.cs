using System.Buffers.Binary;
using System.Text;

namespace Experiments.Charts;

/// <summary>
/// Writes and reads PNG text chunks: <c>iTXt</c> (PNG specification §11.3.4.5: keyword, zero byte,
/// uncompressed, no language, UTF-8 text), so "−2.1%" survives; <see cref="Read"/> also reads <c>tEXt</c>.
/// </summary>
public static class PngText
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Inserts one iTXt chunk per entry right after the IHDR chunk.</summary>
    public static byte[] Insert(byte[] png, IEnumerable<(string Keyword, string Text)> entries)
    {
        if (png.Length < 33 || !png.AsSpan(0, 8).SequenceEqual(Signature))
            throw new ArgumentException("Not a PNG.", nameof(png));
        int ihdrEnd = 8 + 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(8));
        using var output = new MemoryStream(png.Length + 1024);
        output.Write(png, 0, ihdrEnd);
        foreach (var (keyword, text) in entries)
        {
            // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, text.
            byte[] data = [.. Encoding.Latin1.GetBytes(keyword), 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(text)];
            WriteChunk(output, "iTXt", data);
        }
        output.Write(png, ihdrEnd, png.Length - ihdrEnd);
        return output.ToArray();
    }

    /// <summary>The text chunks (iTXt uncompressed, tEXt) of a PNG, by keyword.</summary>
    public static IReadOnlyDictionary<string, string> Read(byte[] png)
    {
        var result = new Dictionary<string, string>();
        int offset = 8;
        while (offset + 12 <= png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            string type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            int zero = data.IndexOf((byte)0);
            if (type == "tEXt" && zero > 0)
                result[Encoding.Latin1.GetString(data[..zero])] = Encoding.Latin1.GetString(data[(zero + 1)..]);
            else if (type == "iTXt" && zero > 0 && data.Length >= zero + 3 && data[zero + 1] == 0)
            {
                var rest = data[(zero + 3)..];
                int language = rest.IndexOf((byte)0);
                int translated = language < 0 ? -1 : rest[(language + 1)..].IndexOf((byte)0);
                if (translated >= 0)
                    result[Encoding.Latin1.GetString(data[..zero])] = Encoding.UTF8.GetString(rest[(language + 1 + translated + 1)..]);
            }
            offset += 12 + length;
        }
        return result;
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)data.Length);
        output.Write(number);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(number, crc);
        output.Write(number);
    }

    private static uint Crc(uint crc, byte[] bytes)
    {
        foreach (byte b in bytes)
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
