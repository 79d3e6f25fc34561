using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Experiments.Jobs.Results;

/// <summary>What a key may do; each role includes the ones before it.</summary>
public enum ApiRole
{
    /// <summary>Results, decisions, charts, stateless statistics, dashboards.</summary>
    Reader,

    /// <summary>Plus creating, editing, starting and stopping experiments, and queueing analyses.</summary>
    Analyst,

    /// <summary>Plus keys, archiving, the audit trail and the jobs dashboard.</summary>
    Admin,
}

/// <summary>An API key as stored: never the key itself.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Who or what uses it; recorded as the actor of every change it makes.</param>
/// <param name="Role">What it may do.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">The name of the key that created it, or <c>bootstrap</c> / <c>command</c>.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
public sealed record ApiKey(Guid Id, string Name, ApiRole Role, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);

/// <summary>One change recorded in the audit trail.</summary>
/// <param name="Id">Its id (time-ordered).</param>
/// <param name="At">When.</param>
/// <param name="Actor">The name of the key that made it.</param>
/// <param name="Action">What: <c>experiment.created</c>, <c>experiment.replaced</c>, <c>analysis.queued</c>, <c>key.created</c>, <c>key.revoked</c>, …</param>
/// <param name="Target">On what: an experiment id, a run id, a key id.</param>
/// <param name="BodySha256">The SHA-256 of the request body (hex), when there was one.</param>
public sealed record AuditEvent(Guid Id, DateTimeOffset At, string Actor, string Action, string Target, string? BodySha256);

/// <summary>API keys and the audit trail, in the results store.</summary>
public sealed class AccessStore(ResultsDatabase database, TimeProvider clock)
{
    private const string KeyColumns = "id AS Id, name AS Name, role AS Role, created_at_ms AS CreatedAtMs, created_by AS CreatedBy, revoked_at_ms AS RevokedAtMs";

    /// <summary>A new key: <c>exp_</c> and 256 random bits, base64url.</summary>
    public static string NewKey() => "exp_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The stored form of a key: its SHA-256, hex.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Stores a key (a new random one unless <paramref name="key"/> is given) and returns it with its record; the key is not kept.</summary>
    /// <exception cref="ArgumentException">The name is empty or longer than 100 characters, or a given key is shorter than 32 characters.</exception>
    public async Task<(ApiKey Record, string Key)> CreateKeyAsync(string name, ApiRole role, string createdBy, string? key = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
            throw new ArgumentException("A key's name must be 1 to 100 characters.", nameof(name));
        if (key is not null && key.Length < 32)
            throw new ArgumentException("A key must be at least 32 characters.", nameof(key));
        key ??= NewKey();
        var id = Guid.CreateVersion7();
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (id, name, role, key_hash, created_at_ms, created_by) VALUES (@id, @name, @role, @hash, @now, @createdBy)
            """, new { id = id.ToString("D"), name = name.Trim(), role = ResultsStore.Name(role), hash = Hash(key), now, createdBy },
            cancellationToken: cancellationToken));
        return (new ApiKey(id, name.Trim(), role, DateTimeOffset.FromUnixTimeMilliseconds(now), createdBy, null), key);
    }

    /// <summary>The unrevoked key with this hash, or null.</summary>
    public async Task<ApiKey?> FindActiveKeyAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            $"SELECT {KeyColumns} FROM api_keys WHERE key_hash = @keyHash AND revoked_at_ms IS NULL", new { keyHash }, cancellationToken: cancellationToken));
        return row?.ToKey();
    }

    /// <summary>Every key, oldest first (revoked ones included, marked).</summary>
    public async Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KeyRow>(new CommandDefinition(
            $"SELECT {KeyColumns} FROM api_keys ORDER BY created_at_ms, id", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToKey()).ToList();
    }

    /// <summary>Whether any key exists at all (revoked ones count: the service has been set up).</summary>
    public async Task<bool> AnyKeyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM api_keys", cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Revokes a key; false when there is no such unrevoked key.</summary>
    public async Task<bool> RevokeKeyAsync(Guid id, string revokedBy, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at_ms = @now, revoked_by = @revokedBy WHERE id = @id AND revoked_at_ms IS NULL",
            new { id = id.ToString("D"), now = clock.GetUtcNow().ToUnixTimeMilliseconds(), revokedBy }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Appends an event to the audit trail.</summary>
    public async Task<AuditEvent> AppendAuditAsync(string actor, string action, string target, string? bodySha256, CancellationToken cancellationToken = default)
    {
        var audit = new AuditEvent(Guid.CreateVersion7(), clock.GetUtcNow(), actor, action, target, bodySha256);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_events (id, at_ms, actor, action, target, body_sha256) VALUES (@id, @at, @actor, @action, @target, @bodySha256)
            """, new { id = audit.Id.ToString("D"), at = audit.At.ToUnixTimeMilliseconds(), actor, action, target, bodySha256 },
            cancellationToken: cancellationToken));
        return audit;
    }

    /// <summary>The newest <paramref name="limit"/> events, newest first; before <paramref name="before"/> (an event id) when given.</summary>
    public async Task<IReadOnlyList<AuditEvent>> ListAuditAsync(int limit, Guid? before = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition($"""
            SELECT id AS Id, at_ms AS AtMs, actor AS Actor, action AS Action, target AS Target, body_sha256 AS BodySha256
            FROM audit_events {(before is null ? "" : "WHERE id < @before")} ORDER BY id DESC LIMIT @limit
            """, new { limit, before = before?.ToString("D") }, cancellationToken: cancellationToken));
        return rows.Select(r => new AuditEvent(Guid.Parse(r.Id), DateTimeOffset.FromUnixTimeMilliseconds(r.AtMs), r.Actor, r.Action, r.Target, r.BodySha256)).ToList();
    }

    private sealed class KeyRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public long CreatedAtMs { get; set; }
        public string CreatedBy { get; set; } = "";
        public long? RevokedAtMs { get; set; }

        public ApiKey ToKey() => new(Guid.Parse(Id), Name, Enum.Parse<ApiRole>(Role, ignoreCase: true), DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs),
            CreatedBy, RevokedAtMs is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null);
    }

    private sealed class AuditRow
    {
        public string Id { get; set; } = "";
        public long AtMs { get; set; }
        public string Actor { get; set; } = "";
        public string Action { get; set; } = "";
        public string Target { get; set; } = "";
        public string? BodySha256 { get; set; }
    }
}
