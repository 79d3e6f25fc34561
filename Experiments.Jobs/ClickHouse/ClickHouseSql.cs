using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// A ClickHouse statement whose text is safe by construction: it can only be made with
/// <see cref="Format"/>, from an interpolated string whose constant parts are source code and whose
/// holes are either <see cref="SqlIdentifier"/>s from the allow-list, other <see cref="ClickHouseSql"/>
/// fragments, or values, which are always written as literals by <see cref="Literal"/>.
/// </summary>
/// <remarks>
/// ClickHouse 18.16 has no server-side query parameters (<c>param_x</c> is an unknown setting), so
/// every value a user controls — experiment ids, variant names, dates — reaches the server inside
/// the query text. There is deliberately no way to turn a run-time <see cref="string"/> into SQL
/// text: <c>ClickHouseSql.Format($"... {name} ...")</c> makes <c>name</c> a quoted literal.
/// </remarks>
public readonly struct ClickHouseSql
{
    private readonly string? _text;

    private ClickHouseSql(string text) => _text = text;

    /// <summary>The statement's text.</summary>
    public string Text => _text ?? throw new InvalidOperationException("An uninitialised ClickHouseSql has no text.");

    /// <summary>Builds a statement from an interpolated string; every hole is escaped or allow-listed.</summary>
    public static ClickHouseSql Format(ref Handler sql) => new(sql.ToStringAndClear());

    /// <summary>Joins fragments with a separator that is itself constant SQL (for example <c>", "</c>).</summary>
    public static ClickHouseSql Join(ClickHouseSql separator, IEnumerable<ClickHouseSql> fragments) =>
        new(string.Join(separator.Text, fragments.Select(f => f.Text)));

    /// <summary>
    /// The one escaping function: a value as a ClickHouse literal.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>strings and chars: single-quoted, with <c>\</c>, <c>'</c>, NUL, the C escapes (<c>\b \f \n \r \t</c>)
    /// and every other control character (<c>\xHH</c>) escaped; other characters, multi-byte ones
    /// included, are sent as UTF-8 (the request encoder rejects unpaired surrogates);</item>
    /// <item>integers and floating-point numbers: invariant culture, shortest round-trip form;
    /// NaN and ±∞ as <c>nan</c>, <c>inf</c>, <c>-inf</c>; subnormal numbers as 0 (see <see cref="FlushSubnormal"/>);</item>
    /// <item><see cref="DateOnly"/>: <c>toDate('yyyy-MM-dd')</c>;</item>
    /// <item><see cref="DateTime"/> (UTC or unspecified, read as UTC) and <see cref="DateTimeOffset"/>:
    /// <c>toDateTime('yyyy-MM-dd HH:mm:ss', 'UTC')</c>; a fraction of a second is refused, because
    /// DateTime has whole seconds and silently dropping it would move a window's edge;</item>
    /// <item><see cref="bool"/>: 1 or 0; <c>null</c>: NULL.</item>
    /// </list>
    /// Any other type is refused rather than formatted with <see cref="object.ToString"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">An unsupported type, a local DateTime, or a fractional second.</exception>
    public static string Literal<T>(T value)
    {
        switch (value)
        {
            case null:
                return "NULL";
            case string s:
                return Quote(s);
            case char c:
                return Quote(c.ToString());
            case bool b:
                return b ? "1" : "0";
            case double d:
                return FormatFloat(d);
            case float f:
                return FormatFloat(f);
            case decimal m:
                return m.ToString(CultureInfo.InvariantCulture);
            case sbyte or byte or short or ushort or int or uint or long or ulong:
                return ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture);
            case DateOnly date:
                return "toDate('" + date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "')";
            case DateTime time:
                return "toDateTime('" + FormatDateTime(time) + "', 'UTC')";
            case DateTimeOffset offset:
                return "toDateTime('" + FormatDateTime(offset.UtcDateTime) + "', 'UTC')";
            default:
                throw new ArgumentException(
                    $"A value of type {value.GetType().Name} has no ClickHouse literal form here; convert it to a supported type first.",
                    nameof(value));
        }
    }

    /// <summary>A DateTime as ClickHouse's text form <c>yyyy-MM-dd HH:mm:ss</c>, in UTC.</summary>
    /// <exception cref="ArgumentException">A local time, or one with a fraction of a second.</exception>
    internal static string FormatDateTime(DateTime time)
    {
        if (time.Kind == DateTimeKind.Local)
            throw new ArgumentException("Times sent to ClickHouse must be UTC; got a local DateTime.", nameof(time));
        if (time.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentException($"ClickHouse DateTime has whole seconds; {time:O} has a fraction of a second.", nameof(time));
        return time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Appends <paramref name="value"/> in ClickHouse's escaped form, shared by quoted SQL literals
    /// and TabSeparated fields (ClickHouse reads the same escapes in both).
    /// </summary>
    internal static void Escape(ReadOnlySpan<char> value, StringBuilder into)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': into.Append(@"\\"); break;
                case '\'': into.Append(@"\'"); break;
                case '\0': into.Append(@"\0"); break;
                case '\b': into.Append(@"\b"); break;
                case '\f': into.Append(@"\f"); break;
                case '\n': into.Append(@"\n"); break;
                case '\r': into.Append(@"\r"); break;
                case '\t': into.Append(@"\t"); break;
                default:
                    if (c < 0x20 || c == 0x7F)
                        into.Append(@"\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
                    else
                        into.Append(c);
                    break;
            }
        }
    }

    /// <summary>Whether <see cref="Escape"/> would change a character of <paramref name="value"/>.</summary>
    internal static bool NeedsEscaping(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
            if (c < 0x20 || c == 0x7F || c == '\\' || c == '\'')
                return true;
        return false;
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('\'');
        Escape(s, sb);
        sb.Append('\'');
        return sb.ToString();
    }

    private static string FormatFloat(double d) => d switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => FlushSubnormal(d).ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// A subnormal number (|d| &lt; 2.2e-308) as 0: 18.16 rejects one in SQL text as a syntax error
    /// and reads one in TabSeparated data as 0, so both paths send 0 rather than differ.
    /// </summary>
    internal static double FlushSubnormal(double d) => double.IsSubnormal(d) ? 0.0 * Math.Sign(d) : d;

    /// <inheritdoc/>
    public override string ToString() => Text;

    /// <summary>
    /// The interpolated-string handler behind <see cref="Format"/>: constant text is copied, holes are
    /// escaped (values) or checked (identifiers, fragments). There is no overload taking a format
    /// string, so <c>{x:N2}</c> does not compile.
    /// </summary>
    [InterpolatedStringHandler]
    public ref struct Handler
    {
        private StringBuilder? _sb;

        /// <summary>Called by the compiler.</summary>
        public Handler(int literalLength, int formattedCount) => _sb = new StringBuilder(literalLength + formattedCount * 16);

        /// <summary>Constant text from the source code.</summary>
        public readonly void AppendLiteral(string text) => _sb!.Append(text);

        /// <summary>An allow-listed identifier, back-quoted.</summary>
        public readonly void AppendFormatted(SqlIdentifier identifier) => _sb!.Append(identifier.Quoted);

        /// <summary>A fragment built by <see cref="Format"/>.</summary>
        public readonly void AppendFormatted(ClickHouseSql fragment) => _sb!.Append(fragment.Text);

        /// <summary>A value: always a literal (<see cref="Literal"/>).</summary>
        public readonly void AppendFormatted<T>(T value) => _sb!.Append(Literal(value));

        internal string ToStringAndClear()
        {
            var text = _sb!.ToString();
            _sb = null;
            return text;
        }
    }
}
