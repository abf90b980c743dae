using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// The page a list call asks for (<c>page</c> from 1, <c>pageSize</c> from 1 to <c>Ingest:MaxPageSize</c>, default 20),
/// read here rather than bound, so that a value that is not a number, out of range, or sent twice is refused with a
/// sentence, never clamped or passed on.
/// </summary>
public readonly record struct PageQuery(int Page, int PageSize)
{
    /// <summary>Rows skipped before the page.</summary>
    public int Skip => (int)(((long)Page - 1) * PageSize);

    /// <summary>The page asked for, or the refusal of the query (<paramref name="call"/> names the call in it: "GET /v1/jobs").</summary>
    public static (PageQuery Page, IResult? Refusal) Read(IQueryCollection query, int maxPageSize, string call)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Keys.FirstOrDefault(k => !k.Equals("page", StringComparison.OrdinalIgnoreCase) && !k.Equals("pageSize", StringComparison.OrdinalIgnoreCase)) is { } unknown)
        {
            return (default, ApiProblems.BadRequest($"Unknown query parameter {ApiProblems.Quote(unknown)}: {call} takes page and pageSize."));
        }

        if (!Number(query, "pageSize", 20, out var pageSize) || pageSize is < 1 || pageSize > maxPageSize)
        {
            return (default, ApiProblems.BadRequest($"pageSize must be a whole number from 1 to {maxPageSize} (got {ApiProblems.Quote(query["pageSize"].ToString())})."));
        }

        // The rows skipped before the page must stay within what a query can skip (an int): the last page that can be asked for.
        var lastPage = (int.MaxValue / pageSize) + 1;
        if (!Number(query, "page", 1, out var page) || page is < 1 || page > lastPage)
        {
            return (default, ApiProblems.BadRequest($"page must be a whole number from 1 to {lastPage} with pageSize {pageSize} (got {ApiProblems.Quote(query["page"].ToString())})."));
        }

        return (new PageQuery(page, pageSize), null);
    }

    /// <summary>The page's rows (<paramref name="ordered"/> skipped and taken, then shaped by <paramref name="load"/>, e.g. its includes) and how many rows <paramref name="rows"/> has in all.</summary>
    public async Task<(List<T> Items, int Total)> Fetch<T>(IQueryable<T> rows, Func<IQueryable<T>, IOrderedQueryable<T>> order, Func<IQueryable<T>, IQueryable<T>> load, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(load);
        var total = await rows.CountAsync(cancellationToken);
        return (await load(order(rows).Skip(Skip).Take(PageSize)).ToListAsync(cancellationToken), total);
    }

    /// <summary>A query parameter sent at most once as a whole number (<paramref name="fallback"/> when absent); false when it is anything else.</summary>
    private static bool Number(IQueryCollection query, string name, int fallback, out int value)
    {
        value = fallback;
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        return values.Count == 1 && int.TryParse(values[0], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
