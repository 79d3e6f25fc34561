using System.Text.RegularExpressions;

namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// A table, view, column or database name that may appear in SQL text. Table and column names
/// come only from the fixed set in <see cref="ExperimentSchema"/> (the constructor is internal);
/// a database name comes from configuration through <see cref="Database"/>. No identifier is ever
/// made from request data.
/// </summary>
public sealed partial class SqlIdentifier : IEquatable<SqlIdentifier>
{
    internal SqlIdentifier(string name)
    {
        if (!Pattern().IsMatch(name))
            throw new ArgumentException(
                $"'{name}' is not an allowed ClickHouse identifier (letters, digits and underscores, not starting with a digit, at most 64).",
                nameof(name));
        Name = name;
    }

    /// <summary>The bare name.</summary>
    public string Name { get; }

    /// <summary>The name back-quoted for SQL text.</summary>
    public string Quoted => "`" + Name + "`";

    /// <summary>
    /// A database name from configuration (the service's or a test's database), checked against
    /// <c>[A-Za-z_][A-Za-z0-9_]{0,63}</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name has other characters or is too long.</exception>
    public static SqlIdentifier Database(string name) => new(name);

    /// <inheritdoc/>
    public bool Equals(SqlIdentifier? other) => other is not null && other.Name == Name;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SqlIdentifier);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <inheritdoc/>
    public override string ToString() => Name;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex Pattern();
}
