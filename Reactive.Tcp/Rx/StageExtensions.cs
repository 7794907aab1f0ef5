namespace Reactive.Tcp.Rx;

/// <summary>Rx operators for the stack's layers (see <see cref="IStage{TIn, TOut}"/>).</summary>
internal static class StageExtensions
{
    /// <summary>
    /// Passes every element of <paramref name="source"/> through <paramref name="stage"/>, and its error or
    /// completion (which the stage passes on, by default unchanged). A Producer/Sink pair like Rx.NET's own operators: one small sink
    /// per subscription and no allocation per element.
    /// </summary>
    public static IObservable<TOut> Through<TIn, TOut>(this IObservable<TIn> source, IStage<TIn, TOut> stage) =>
        new StageOperator<TIn, TOut>(source, stage);

    private sealed class StageOperator<TIn, TOut>(IObservable<TIn> source, IStage<TIn, TOut> stage) : IObservable<TOut>
    {
        public IDisposable Subscribe(IObserver<TOut> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            return source.Subscribe(new Sink(stage, observer));
        }

        private sealed class Sink(IStage<TIn, TOut> stage, IObserver<TOut> downstream) : IObserver<TIn>
        {
            public void OnNext(TIn value) => stage.OnNext(value, downstream);

            public void OnError(Exception error) => stage.OnError(error, downstream);

            public void OnCompleted() => stage.OnCompleted(downstream);
        }
    }
}
