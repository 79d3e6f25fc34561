// The worker host comes later; until then the program only says what it is.
Console.Error.WriteLine("""
    Experiments.Jobs: data movement for experiment analysis (ClickHouse client, pushdown queries).

    usage: Experiments.Jobs

    The worker host that runs analysis jobs is not part of this build yet.
    """);
return 2;
