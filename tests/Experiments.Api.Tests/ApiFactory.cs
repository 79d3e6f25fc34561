using Microsoft.AspNetCore.Mvc.Testing;

namespace Experiments.Api.Tests;

/// <summary>The whole API pipeline (routing, JSON, validation, problem details) in memory.</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>;
