namespace ShapeStudy.Testing;

/// <summary>Runs the <c>shapestudy</c> command line in-process and captures its exit code, standard output and standard error.</summary>
internal static class CliCapture
{
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await Host.Cli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
