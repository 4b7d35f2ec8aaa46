using ShapeStudy.Host;

return await Cli.RunAsync(args);
