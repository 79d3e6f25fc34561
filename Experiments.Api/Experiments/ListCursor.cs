using System.Buffers.Text;
using System.Text;
using Experiments.Jobs.Results;

namespace Experiments.Api.Experiments;

/// <summary>
/// The listing's opaque cursor: the last id of the page, versioned and base64url-encoded, so clients
/// pass it back unchanged rather than build it. Pages are keyset pages by id: an experiment registered
/// meanwhile appears on a later page if its id sorts after the cursor, and nothing is repeated.
/// </summary>
internal static class ListCursor
{
    private const string Prefix = "e1:";

    public static string Encode(string lastId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Prefix + lastId));

    /// <summary>The id after which the next page starts, or null when <paramref name="cursor"/> is not one of ours.</summary>
    public static string? Decode(string cursor)
    {
        if (cursor.Length is 0 or > 200 || !Base64Url.IsValid(cursor))
            return null;
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return null;
        }
        return text.StartsWith(Prefix, StringComparison.Ordinal) && ExperimentDefinition.IsValidId(text[Prefix.Length..]) ? text[Prefix.Length..] : null;
    }
}
