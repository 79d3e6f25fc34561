using System.Security.Cryptography;
using Experiments.Jobs.Results;

namespace Experiments.Api.Access;

/// <summary>
/// Records a change in the append-only audit trail: who (the key's name), what, on what, and the
/// SHA-256 of the request body (buffered by <see cref="BufferBodies"/> so it can be read again).
/// </summary>
public sealed class AuditTrail(AccessStore store, IHttpContextAccessor http)
{
    /// <summary>Appends one event for the current request.</summary>
    public async Task RecordAsync(string action, string target, CancellationToken cancellationToken = default)
    {
        var context = http.HttpContext!;
        string? bodyHash = null;
        if (context.Request.Body.CanSeek && context.Request.ContentLength is not 0)
        {
            context.Request.Body.Position = 0;
            byte[] hash = await SHA256.HashDataAsync(context.Request.Body, cancellationToken);
            if (context.Request.Body.Length > 0)
                bodyHash = Convert.ToHexStringLower(hash);
        }
        await store.AppendAuditAsync(context.User.Actor(), action, target, bodyHash, CancellationToken.None);
    }

    /// <summary>Middleware: request bodies of changes are buffered, so the audit can hash what the handler read.</summary>
    public static WebApplication BufferBodies(WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                context.Request.EnableBuffering();
            return next(context);
        });
        return app;
    }
}
