using System.Globalization;
using System.Text;

namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// Writes rows of an insert in ClickHouse's TabSeparated format, straight into UTF-8 bytes: fields
/// separated by tabs, rows ended by a newline, strings escaped by <see cref="ClickHouseSql.Escape"/>
/// (so a tab, newline, backslash or NUL inside a value cannot end a field or a row).
/// </summary>
public sealed class TabSeparatedRowWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly int _columns;
    private readonly StringBuilder _scratch = new();
    private byte[] _buffer = new byte[1 << 17];
    private int _length;
    private int _fields;

    internal TabSeparatedRowWriter(int columns) => _columns = columns;

    internal int Length => _length;

    internal ReadOnlyMemory<byte> Pending => _buffer.AsMemory(0, _length);

    /// <summary>A string field (any characters; escaped as needed).</summary>
    /// <exception cref="ArgumentException">The string has an unpaired surrogate (it has no UTF-8 form).</exception>
    public void Write(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        BeginField();
        if (ClickHouseSql.NeedsEscaping(value))
        {
            _scratch.Clear();
            ClickHouseSql.Escape(value, _scratch);
            AppendUtf8(_scratch.ToString());
        }
        else
        {
            AppendUtf8(value);
        }
    }

    /// <summary>An unsigned integer field (UInt8 … UInt64).</summary>
    public void Write(ulong value)
    {
        BeginField();
        Ensure(20);
        value.TryFormat(_buffer.AsSpan(_length), out int written, default, CultureInfo.InvariantCulture);
        _length += written;
    }

    /// <summary>A signed integer field (Int8 … Int64).</summary>
    public void Write(long value)
    {
        BeginField();
        Ensure(20);
        value.TryFormat(_buffer.AsSpan(_length), out int written, default, CultureInfo.InvariantCulture);
        _length += written;
    }

    /// <summary>A Float64 field (shortest round-trip form; NaN and ±∞ as <c>nan</c>, <c>inf</c>, <c>-inf</c>; subnormal numbers as 0).</summary>
    public void Write(double value)
    {
        BeginField();
        if (double.IsNaN(value))
        {
            AppendUtf8("nan");
            return;
        }
        if (double.IsInfinity(value))
        {
            AppendUtf8(value > 0 ? "inf" : "-inf");
            return;
        }
        Ensure(32);
        value = ClickHouseSql.FlushSubnormal(value);
        value.TryFormat(_buffer.AsSpan(_length), out int written, "R", CultureInfo.InvariantCulture);
        _length += written;
    }

    /// <summary>A DateTime field, UTC (see <see cref="ClickHouseSql.Literal"/> for the rules).</summary>
    /// <exception cref="ArgumentException">A local time or a fraction of a second.</exception>
    public void Write(DateTime value)
    {
        BeginField();
        AppendUtf8(ClickHouseSql.FormatDateTime(value));
    }

    /// <summary>A Date field.</summary>
    public void Write(DateOnly value)
    {
        BeginField();
        Ensure(10);
        value.TryFormat(_buffer.AsSpan(_length), out int written, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        _length += written;
    }

    internal void EndRow()
    {
        if (_fields != _columns)
            throw new InvalidOperationException($"A row has {_fields} fields but the insert names {_columns} columns.");
        Ensure(1);
        _buffer[_length++] = (byte)'\n';
        _fields = 0;
    }

    internal void Clear() => _length = 0;

    private void BeginField()
    {
        if (_fields == _columns)
            throw new InvalidOperationException($"A row has more fields than the {_columns} columns the insert names.");
        if (_fields++ > 0)
        {
            Ensure(1);
            _buffer[_length++] = (byte)'\t';
        }
    }

    private void AppendUtf8(ReadOnlySpan<char> text)
    {
        Ensure(StrictUtf8.GetMaxByteCount(text.Length));
        _length += StrictUtf8.GetBytes(text, _buffer.AsSpan(_length));
    }

    private void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length)
            return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }
}
