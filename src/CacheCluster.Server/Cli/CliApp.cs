using System.CommandLine;
using CacheCluster.Server.Hosting;

namespace CacheCluster.Server.Cli;

/// <summary>The command line: `serve` starts a node (every node option is a flag here); `drain` empties a running one.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("CacheCluster: an actor-based distributed cache that speaks RESP (Redis) and memcached.");
        root.Subcommands.Add(ServeCommand());
        root.Subcommands.Add(DrainCommand.Create());
        // the host handles SIGTERM/SIGINT itself (graceful shutdown), so the parser must not
        var config = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(config);
    }

    static Command ServeCommand()
    {
        var serve = new Command("serve", "Start a node.");
        var configFile = new Option<string?>("--config")
        {
            Description = "JSON settings file; keys are the option names below, e.g. {\"resp-port\": 6400}",
        };
        serve.Options.Add(configFile);
        var flags = new List<(NodeOptionSpec Spec, Option<string?> Option)>();
        foreach (var spec in NodeOptionSpec.All)
        {
            var option = new Option<string?>(spec.Flag)
            {
                Description = $"{spec.Help} [default: {spec.DefaultText}; env {spec.EnvVar}]",
            };
            serve.Options.Add(option);
            flags.Add((spec, option));
        }
        serve.SetAction(async (parsed, _) =>
        {
            var given = new Dictionary<string, string>();
            foreach (var (spec, option) in flags)
                if (parsed.GetValue(option) is { } v) given[spec.Name] = v;
            NodeOptions options;
            try
            {
                options = NodeOptionsLoader.Load(parsed.GetValue(configFile), given);
                return await NodeHost.RunAsync(options);
            }
            catch (NodeOptionsLoader.OptionsException ex)
            {
                await Console.Error.WriteLineAsync($"cachecluster: {ex.Message}");
                return 2;
            }
            catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException || ex.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
            {
                await Console.Error.WriteLineAsync($"cachecluster: cannot listen: {ex.Message}");
                return 3;
            }
        });
        return serve;
    }
}
