using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.RateLimiting;

namespace Experiments.Api.Access;

/// <summary>
/// 401, 403 and 429 as RFC 7807 problems naming what is missing: the key (field <c>Authorization</c>),
/// the role an endpoint needs, or the rate (with <c>Retry-After</c>). Never the key itself.
/// </summary>
internal sealed class AccessProblems : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged && context.Request.Path.StartsWithSegments("/dashboards"))
        {
            // A page, not an API: send the browser to the sign-in page (API endpoints keep answering 401 problems).
            context.Response.Redirect(global::Experiments.Dashboards.DashboardCookie.SignInPath);
            return;
        }
        if (authorizeResult.Challenged)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization",
                "A valid API key is required: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'. The key sent, if any, is unknown or revoked.");
            return;
        }
        if (authorizeResult.Forbidden)
        {
            string needed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<RolesAuthorizationRequirement>()
                .SelectMany(r => r.AllowedRoles).FirstOrDefault() ?? Roles.Reader;
            string has = context.User.Claims.Where(c => c.Type == System.Security.Claims.ClaimTypes.Role).Select(c => c.Value)
                .OrderByDescending(r => r == Roles.Admin ? 2 : r == Roles.Analyst ? 1 : 0).FirstOrDefault() ?? "none";
            await WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", "role",
                $"This endpoint needs the {needed} role; the key '{context.User.Identity?.Name}' has the {has} role.");
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    /// <summary>The rate limiter's rejection: 429 with Retry-After.</summary>
    public static async ValueTask WriteRateLimitedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        int seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests", "rate",
            $"This key made more requests than its limit allows; retry after {seconds} s.");
    }

    private static async Task WriteAsync(HttpContext context, int status, string title, string field, string detail)
    {
        context.Response.StatusCode = status;
        var problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [detail] })
        {
            Status = status,
            Title = title,
            Detail = detail,
        };
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
            await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}
