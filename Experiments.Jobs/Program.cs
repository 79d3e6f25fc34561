// The worker host: runs a Hangfire server (analysis jobs, the daily analysis of running
// experiments) without the API, on the same options as the API's in-process server.
// Configuration: the embedded appsettings.json, overridden by an appsettings.json in the working
// folder, environment variables (ResultsStore__Provider=PostgreSql, ResultsStore__ConnectionString=…)
// and the command line (--Jobs:ServerName=worker-2).
using Experiments.Jobs.Demo;
using Experiments.Jobs.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// `generate-demo`, `backfill-rollups` and `demo-summary` are one-off commands; anything else runs the worker.
if (await DemoCommands.TryRunAsync(args) is { } exitCode)
    return exitCode;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddExperimentsJobsDefaults();
builder.Services.AddExperimentsJobs(builder.Configuration, runServer: true);
using var host = builder.Build();
if (!await HostStart.TryStartAsync(host, "worker"))
    return 3;
await host.WaitForShutdownAsync();
return 0;
