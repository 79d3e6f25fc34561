using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Experiments.Api.Infrastructure;

/// <summary>
/// The problems a handler decides itself. Each one names the field it is about in <c>errors</c>, as
/// the 400s of <see cref="ProblemExceptionHandler"/> do, so a client reads one shape for 400, 404 and 409.
/// </summary>
internal static class ApiProblems
{
    /// <summary>400: <paramref name="field"/> is malformed or inconsistent.</summary>
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(Errors(field, message), detail: message, title: "Invalid input");

    /// <summary>404: nothing exists under <paramref name="field"/>'s value.</summary>
    public static NotFoundProblem NotFound(string field, string message) => new(Problem(StatusCodes.Status404NotFound, "Not found", field, message));

    /// <summary>409: the request is well formed but the resource's state does not allow it now.</summary>
    public static ConflictProblem Conflict(string field, string message) => new(Problem(StatusCodes.Status409Conflict, "Conflict", field, message));

    private static HttpValidationProblemDetails Problem(int status, string title, string field, string message) =>
        new(Errors(field, message)) { Status = status, Title = title, Detail = message };

    private static Dictionary<string, string[]> Errors(string field, string message) => new() { [field] = [message] };
}

/// <summary>
/// A problem with a status other than 400, written by the problem-details service (as the exception
/// handler's problems are: <c>application/problem+json</c>, the trace id), whose type in a handler's
/// <c>Results&lt;…&gt;</c> documents the status in the OpenAPI document.
/// </summary>
public abstract class FieldProblem(HttpValidationProblemDetails problem) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<HttpValidationProblemDetails>
{
    /// <summary>The body.</summary>
    public HttpValidationProblemDetails ProblemDetails { get; } = problem;

    /// <inheritdoc />
    public int? StatusCode => ProblemDetails.Status;

    HttpValidationProblemDetails? IValueHttpResult<HttpValidationProblemDetails>.Value => ProblemDetails;

    object? IValueHttpResult.Value => ProblemDetails;

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = ProblemDetails.Status!.Value;
        var problems = httpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = ProblemDetails }))
            await httpContext.Response.WriteAsJsonAsync(ProblemDetails, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    /// <summary>Declares the status and the problem body in the endpoint's metadata.</summary>
    protected static void Declare(EndpointBuilder builder, int status) => builder.Metadata.Add(new ProblemResponseMetadata(status));

    private sealed record ProblemResponseMetadata(int StatusCode) : IProducesResponseTypeMetadata
    {
        public Type? Type => typeof(HttpValidationProblemDetails);

        public string? Description => null;

        public IEnumerable<string> ContentTypes => ["application/problem+json"];
    }
}

/// <summary>404 with a problem body naming the field.</summary>
public sealed class NotFoundProblem(HttpValidationProblemDetails problem) : FieldProblem(problem), IEndpointMetadataProvider
{
    /// <inheritdoc />
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Declare(builder, StatusCodes.Status404NotFound);
}

/// <summary>409 with a problem body naming the field.</summary>
public sealed class ConflictProblem(HttpValidationProblemDetails problem) : FieldProblem(problem), IEndpointMetadataProvider
{
    /// <inheritdoc />
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Declare(builder, StatusCodes.Status409Conflict);
}
