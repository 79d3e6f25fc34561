// A worker process over the in-memory data source, for tests and benchmarks that need a real process
// (one to SIGKILL, a second server on a SQLite file). Configured like the worker (command line, environment)
// plus TestWorker:HangInQuery (queries never return: the process is as good as dead once one starts) and
// TestWorker:QueryDelay. Prints "started" once its Hangfire server runs; a failed start prints the error and exits 3.
using Experiments.Jobs.Analysis;
using Experiments.Jobs.Scheduling;
using Experiments.Jobs.Store.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddExperimentsJobsDefaults();
builder.Services.AddSingleton<IExperimentDataSource>(new InMemoryDataSource
{
    HangInQuery = builder.Configuration.GetValue("TestWorker:HangInQuery", false),
    QueryDelay = builder.Configuration.GetValue("TestWorker:QueryDelay", TimeSpan.Zero),
});
builder.Services.AddExperimentsJobs(builder.Configuration, runServer: true);
using var host = builder.Build();
if (!await HostStart.TryStartAsync(host, "test worker"))
    return 3;
Console.WriteLine("started");
await host.WaitForShutdownAsync();
return 0;
