namespace ShapeStudy.Dashboard.Tests;

/// <summary>The strict exposition-format parser used on /metrics accepts valid text and rejects each kind of violation.</summary>
public sealed class PrometheusParserTests
{
    private const string Valid = """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"} 3 1395066363000
        # A free comment
        metric_without_timestamp_and_labels 12.47
        # TYPE request_duration_seconds histogram
        request_duration_seconds_bucket{le="0.05"} 24054
        request_duration_seconds_bucket{le="0.1"} 33444
        request_duration_seconds_bucket{le="+Inf"} 144320
        request_duration_seconds_sum 53423
        request_duration_seconds_count 144320
        # TYPE escaped gauge
        escaped{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} -Inf

        """;

    [Fact]
    public void AcceptsTheFormatsOwnExample()
    {
        var samples = PrometheusParser.Parse(Valid.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(9, samples.Count);
        Assert.Equal("C:\\DIR\\FILE.TXT", samples[^1].Labels["path"]);
        Assert.Equal("Cannot find file:\n\"FILE.TXT\"", samples[^1].Labels["error"]);
        Assert.Equal(double.NegativeInfinity, samples[^1].Value);
    }

    [Theory]
    [InlineData("1bad_name 1\n")]
    [InlineData("m{1a=\"x\"} 1\n")]
    [InlineData("m{a=x} 1\n")]
    [InlineData("m{a=\"\\t\"} 1\n")]
    [InlineData("m{a=\"x\",a=\"y\"} 1\n")]
    [InlineData("m one\n")]
    [InlineData("m 1")]
    [InlineData("m{a=\"x\"} 1\nm{a=\"x\"} 2\n")]
    [InlineData("a 1\nb 1\na{x=\"1\"} 1\n")]
    [InlineData("# TYPE m counter\nm -1\n")]
    [InlineData("# TYPE m counter\n# TYPE m gauge\nm 1\n")]
    [InlineData("m 1\n# TYPE m gauge\n")]
    [InlineData("# TYPE m wibble\nm 1\n")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 3\nh_count 2\n")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 5\n")]
    [InlineData("# TYPE h histogram\nh 1\n")]
    public void RejectsViolations(string text) => Assert.Throws<FormatException>(() => PrometheusParser.Parse(text));
}
