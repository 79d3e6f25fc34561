using System.Text.Json;
using Experiments.Engine;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Experiments.Api.Infrastructure;

/// <summary>
/// Turns exceptions into RFC 7807 problem details: bad input (the engine's
/// <see cref="StatisticsInputException"/>, an experiment definition's
/// <see cref="ExperimentDefinitionException"/>, unreadable JSON, a wrong content type) becomes a 4xx
/// naming the field; anything else is a 500 that says nothing about internals.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            StatisticsInputException input => Invalid(input.Field, input.Message),
            Statistics.WorkLimitException limit => new ValidationProblemDetails(new Dictionary<string, string[]> { [limit.Field] = [limit.Message] })
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "Over a work limit",
                Detail = limit.Message,
            },
            ExperimentDefinitionException definition => Invalid(definition.Field, definition.Message),
            BadHttpRequestException { InnerException: JsonException json } => Invalid(JsonField(json), JsonMessage(json)),
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "Unsupported media type" : "Bad request",
                Detail = bad.StatusCode == StatusCodes.Status415UnsupportedMediaType
                    ? "Send the body as JSON with Content-Type: application/json."
                    : bad.Message,
            },
            _ => null,
        };
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Internal error",
                Detail = "The server failed to process the request. The error has been logged.",
            };
        }
        else
        {
            logger.LogInformation("Rejected {Method} {Path}: {Status} {Detail}", context.Request.Method, context.Request.Path, problem.Status, problem.Detail);
        }
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static ValidationProblemDetails Invalid(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid input",
            Detail = message,
        };

    private static string JsonField(JsonException json) =>
        string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : json.Path.TrimStart('$', '.');

    private static string JsonMessage(JsonException json)
    {
        // System.Text.Json's messages name the path and position but also .NET type names; keep the
        // part a notebook user can act on.
        string where = json.LineNumber is { } line ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})" : "";
        string what = json.Message.Split(" Path:", 2)[0];
        if (what.StartsWith("The JSON property", StringComparison.Ordinal))
            what = $"'{JsonField(json).Split('.').Last()}' is not a property of this request (names are camelCase; check the spelling).";
        else if (what.Contains("System.", StringComparison.Ordinal) || what.Contains("Experiments.", StringComparison.Ordinal))
            what = "A value has the wrong type or format (numbers must be finite JSON numbers; NaN and Infinity are not allowed; enum values are camelCase strings).";
        return $"The body is not valid JSON for this endpoint at {JsonField(json)}{where}: {what}";
    }
}
