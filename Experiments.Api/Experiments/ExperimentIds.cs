using Experiments.Api.Infrastructure;
using Experiments.Jobs.Results;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Experiments.Api.Experiments;

/// <summary>
/// The answers every route under <c>/api/v1/experiments/{id}</c> gives for an id: a 400 for text that
/// cannot be an id (quotes, SQL, non-ASCII, too long; no stored id is like that, so the store is
/// never asked), a 404 for a well-formed id nobody registered.
/// </summary>
internal static class ExperimentIds
{
    /// <summary>A 400 naming <c>id</c> when <paramref name="id"/> cannot be an experiment's id, else null.</summary>
    public static ValidationProblem? Malformed(string id) =>
        ExperimentDefinition.IsValidId(id) ? null : ApiProblems.Invalid("id", ExperimentDefinition.IdRule);

    /// <summary>A 404 naming <c>id</c>; call it only with a well-formed id.</summary>
    public static NotFoundProblem Unknown(string id) =>
        ApiProblems.NotFound("id", $"There is no experiment '{id}'. Register it with PUT /api/v1/experiments/{id}.");
}
