namespace Reactive.Tcp.Rx;

/// <summary>The <c>Serialize</c> operator (see <see cref="Serializer"/>).</summary>
internal static class SerializeExtensions
{
    /// <summary>
    /// Delivers the elements of <paramref name="source"/> through <paramref name="serializer"/>: one at
    /// a time across every stream that shares it, never nested. Errors and completion pass under its gate.
    /// </summary>
    public static IObservable<T> Serialize<T>(this IObservable<T> source, Serializer serializer, IElementCopier<T>? copier = null) =>
        new SerializeOperator<T>(source, serializer, copier);

    private sealed class SerializeOperator<T>(IObservable<T> source, Serializer serializer, IElementCopier<T>? copier) : IObservable<T>
    {
        public IDisposable Subscribe(IObserver<T> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            return source.Subscribe(new Sink(serializer, copier, observer));
        }

        private sealed class Sink(Serializer serializer, IElementCopier<T>? copier, IObserver<T> downstream) : IObserver<T>
        {
            public void OnNext(T value) => serializer.Deliver(downstream, value, copier);

            public void OnError(Exception error)
            {
                lock (serializer.Gate) downstream.OnError(error);
            }

            public void OnCompleted()
            {
                lock (serializer.Gate) downstream.OnCompleted();
            }
        }
    }
}
