using System.Security.Claims;
using System.Threading.RateLimiting;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Experiments.Api.Access;

/// <summary>
/// API keys with roles on every endpoint: a key is required everywhere (the fallback policy is the
/// reader role) except where an endpoint allows anonymous callers (the health checks); endpoints that
/// change things ask for <see cref="Roles.Analyst"/> or <see cref="Roles.Admin"/>. Also the per-key
/// rate limit (429 with Retry-After) and the request size limit.
/// </summary>
public static class AccessSetup
{
    /// <summary>The policy of endpoints that create, edit, start, stop or trigger.</summary>
    public const string AnalystPolicy = "analyst";

    /// <summary>The policy of keys, archive, audit and the jobs dashboard.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Registers authentication, authorization, rate limiting and the first admin key.</summary>
    public static IServiceCollection AddApiAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccessOptions>().Bind(configuration.GetSection(AccessOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidation>();
        var options = new AccessOptions();
        configuration.GetSection(AccessOptions.Section).Bind(options);

        services.AddMemoryCache();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Roles.Reader).Build())
            .AddPolicy(AnalystPolicy, policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Roles.Analyst))
            .AddPolicy(AdminPolicy, policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Roles.Admin));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessProblems>();
        services.AddScoped<AuditTrail>();
        services.AddHostedService<AdminKeyBootstrap>();

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // Per key when there is one, per address otherwise (unauthenticated callers share their address's budget).
                string partition = context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim) is { } keyId
                    ? "key:" + keyId
                    : "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.Burst,
                    TokensPerPeriod = options.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = AccessProblems.WriteRateLimitedAsync;
        });
        services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        return services;
    }

    /// <summary>Authentication, then the rate limit (per key), then authorization.</summary>
    public static WebApplication UseApiAccess(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>The key's name for the audit trail.</summary>
    public static string Actor(this ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";

    private sealed class AccessOptionsValidation : IValidateOptions<AccessOptions>
    {
        public ValidateOptionsResult Validate(string? name, AccessOptions options)
        {
            var failures = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(r => r.ErrorMessage ?? "invalid").ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
