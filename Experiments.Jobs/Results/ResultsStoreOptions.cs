using System.ComponentModel.DataAnnotations;

namespace Experiments.Jobs.Results;

/// <summary>The database behind the results store.</summary>
public enum StoreProvider
{
    /// <summary>A SQLite file: one machine, one process writing at a time (the default).</summary>
    Sqlite,

    /// <summary>PostgreSQL: several workers and API replicas.</summary>
    PostgreSql,
}

/// <summary>Where experiments, runs and results live (configuration section <c>ResultsStore</c>).</summary>
public sealed class ResultsStoreOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ResultsStore";

    /// <summary>SQLite (default) or PostgreSQL.</summary>
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>
    /// The ADO.NET connection string. For SQLite a relative <c>Data Source</c> is taken from the
    /// host's content root; its folder is created when missing.
    /// </summary>
    public string ConnectionString { get; set; } = "Data Source=.data/experiments.db";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Provider))
            yield return new ValidationResult("ResultsStore:Provider must be Sqlite or PostgreSql.", [nameof(Provider)]);
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult("ResultsStore:ConnectionString is empty.", [nameof(ConnectionString)]);
            yield break;
        }
        string? problem = null;
        try
        {
            if (Provider == StoreProvider.Sqlite)
            {
                var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString);
                if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory)
                    problem = "ResultsStore:ConnectionString must name a SQLite file: an in-memory database would lose every result and job at exit.";
            }
            else
            {
                var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
                if (string.IsNullOrWhiteSpace(builder.Host) || string.IsNullOrWhiteSpace(builder.Database))
                    problem = "ResultsStore:ConnectionString must give Host and Database for PostgreSQL.";
            }
        }
        catch (ArgumentException e)
        {
            problem = $"ResultsStore:ConnectionString is not a valid {Provider} connection string: {e.Message}";
        }
        if (problem is not null)
            yield return new ValidationResult(problem, [nameof(ConnectionString)]);
    }
}
