using Experiments.Api.Infrastructure;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Caching.Memory;

namespace Experiments.Api.Access;

/// <summary>API keys (admin): create one (its key is shown once), list them, revoke one; and the audit trail.</summary>
public static class KeysApi
{
    /// <summary>A new key's request.</summary>
    /// <param name="Name">Who or what will use it (1–100 characters); recorded as the actor of its changes.</param>
    /// <param name="Role">reader, analyst or admin.</param>
    public sealed record KeyRequest(string? Name, string? Role);

    /// <summary>A key as listed: never the key itself.</summary>
    public sealed record KeyResponse(Guid Id, string Name, string Role, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt)
    {
        internal static KeyResponse From(ApiKey k) => new(k.Id, k.Name, Roles.Name(k.Role), k.CreatedAt, k.CreatedBy, k.RevokedAt);
    }

    /// <summary>A new key: <see cref="Key"/> is shown this once and stored only as a hash.</summary>
    public sealed record CreatedKeyResponse(Guid Id, string Name, string Role, DateTimeOffset CreatedAt, string Key);

    /// <summary>The keys.</summary>
    public sealed record KeyListResponse(IReadOnlyList<KeyResponse> Keys);

    /// <summary>Audit events, newest first; <see cref="NextBefore"/> pages on.</summary>
    public sealed record AuditResponse(IReadOnlyList<AuditEvent> Events, Guid? NextBefore);

    public static IEndpointRouteBuilder MapAccess(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/v1/keys").WithTags("Access").RequireAuthorization(AccessSetup.AdminPolicy);
        keys.MapPost("/", CreateKey).WithSummary("Create an API key").WithDescription("Body {\"name\", \"role\"}; the response's key field is shown once.");
        keys.MapGet("/", ListKeys).WithSummary("List API keys (never the keys themselves)");
        keys.MapDelete("/{keyId}", RevokeKey).WithSummary("Revoke an API key");
        app.MapGet("/api/v1/audit", ListAudit).WithTags("Access").RequireAuthorization(AccessSetup.AdminPolicy)
            .WithSummary("The audit trail").WithDescription("Every change, newest first: who, when, what, on what, and the SHA-256 of the request body. ?limit=100 (≤ 1000), ?before=<event id> pages on.");
        return app;
    }

    internal static async Task<Results<Created<CreatedKeyResponse>, ValidationProblem>> CreateKey(
        KeyRequest? request, AccessStore store, AuditTrail audit, HttpContext context, CancellationToken cancellationToken)
    {
        if (request is null)
            return ApiProblems.Invalid("body", "Send {\"name\", \"role\"}.");
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100)
            return ApiProblems.Invalid("name", "name must be 1 to 100 characters.");
        if (Roles.Parse(request.Role) is not { } role)
            return ApiProblems.Invalid("role", "role must be reader, analyst or admin.");
        var (record, key) = await store.CreateKeyAsync(request.Name, role, context.User.Actor(), cancellationToken: cancellationToken);
        await audit.RecordAsync("key.created", record.Id.ToString("D"), cancellationToken);
        return TypedResults.Created($"/api/v1/keys/{record.Id:D}", new CreatedKeyResponse(record.Id, record.Name, Roles.Name(record.Role), record.CreatedAt, key));
    }

    internal static async Task<Ok<KeyListResponse>> ListKeys(AccessStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new KeyListResponse((await store.ListKeysAsync(cancellationToken)).Select(KeyResponse.From).ToList()));

    internal static async Task<Results<NoContent, NotFoundProblem, ValidationProblem>> RevokeKey(
        string keyId, AccessStore store, AuditTrail audit, IMemoryCache cache, HttpContext context, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(keyId, out var id))
            return ApiProblems.Invalid("keyId", "keyId must be a key's id (a UUID).");
        if (!await store.RevokeKeyAsync(id, context.User.Actor(), cancellationToken))
            return ApiProblems.NotFound("keyId", $"There is no unrevoked key {id:D}.");
        await audit.RecordAsync("key.revoked", id.ToString("D"), cancellationToken);
        if (cache is MemoryCache memory)
            memory.Clear(); // the revoked key's cached lookups go with it (only its hash could name them)
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<AuditResponse>, ValidationProblem>> ListAudit(
        int? limit, string? before, AccessStore store, CancellationToken cancellationToken)
    {
        int take = limit ?? 100;
        if (take is < 1 or > 1000)
            return ApiProblems.Invalid("limit", "limit must be between 1 and 1000.");
        Guid? from = null;
        if (before is not null)
        {
            if (!Guid.TryParse(before, out var parsed))
                return ApiProblems.Invalid("before", "before must be an audit event's id.");
            from = parsed;
        }
        var events = await store.ListAuditAsync(take, from, cancellationToken);
        return TypedResults.Ok(new AuditResponse(events, events.Count == take ? events[^1].Id : null));
    }
}
