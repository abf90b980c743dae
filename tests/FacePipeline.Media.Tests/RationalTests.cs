namespace FacePipeline.Media.Tests;

[Trait("Lane", "Fast")]
public class RationalTests
{
    [Fact]
    public void Ntsc_rate_parses_and_prints_exactly()
    {
        var rate = Rational.Parse("30000/1001");

        Assert.Equal(30000, rate.Numerator);
        Assert.Equal(1001, rate.Denominator);
        Assert.Equal("30000/1001", rate.ToString());
        Assert.Equal(30000.0 / 1001.0, rate.ToDouble());
        Assert.Equal(rate, Rational.Parse(rate.ToString()));
    }

    [Theory]
    [InlineData("60000/2002", 30000, 1001)]
    [InlineData("2997/100", 2997, 100)]
    [InlineData("50/2", 25, 1)]
    [InlineData("25", 25, 1)]
    [InlineData("-90", -90, 1)]
    [InlineData("3/-6", -1, 2)]
    [InlineData("0/5", 0, 1)]
    [InlineData(" 24000/1001 ", 24000, 1001)]
    public void Parse_reduces_and_normalises_the_sign(string text, long numerator, long denominator)
    {
        var value = Rational.Parse(text);

        Assert.Equal(numerator, value.Numerator);
        Assert.Equal(denominator, value.Denominator);
    }

    [Theory]
    [InlineData("0/0")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("29.97")]
    [InlineData("abc/1")]
    [InlineData("1/")]
    public void TryParse_refuses_unknown_and_garbage(string? text)
    {
        Assert.False(Rational.TryParse(text, out _));
    }

    [Fact]
    public void Parse_throws_a_format_exception_for_garbage()
    {
        Assert.Throws<FormatException>(() => Rational.Parse("0/0"));
    }

    [Fact]
    public void Equal_values_compare_equal_whatever_their_written_form()
    {
        Assert.Equal(new Rational(30000, 1001), new Rational(-60000, -2002));
        Assert.Equal(new Rational(1001, 30000), new Rational(30000, 1001).Invert());
        Assert.Equal(new Rational(1, 1), new Rational(30000, 1001) * new Rational(1001, 30000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rational(1, 0));
    }
}
