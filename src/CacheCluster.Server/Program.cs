using CacheCluster.Server.Cli;

return await CliApp.RunAsync(args);
