namespace Reactive.Tcp.Collections;

/// <summary>
/// Something that can make its current row of an <see cref="ObservableCache{TObject, TKey}"/> on
/// demand. The cache holds the source instead of a row while nobody watches, so a table of many
/// quiet items costs no row objects until it is read or connected to.
/// </summary>
/// <typeparam name="TObject">The row type.</typeparam>
internal interface IRowSource<out TObject>
{
    /// <summary>The row as of now.</summary>
    TObject Snapshot();
}
