namespace Reactive.Tcp.Rx;

/// <summary>
/// One layer of the stack's inbound pipeline as a plain object: it takes each element in turn and
/// passes on what the next layer should see (zero, one or several elements) to
/// its downstream observer. What it answers by itself (an echo reply, a RST, an ARP reply) it
/// emits on an outbound stream of its own, which joins the stack's one outbound stream.
/// <see cref="StageExtensions.Through{TIn, TOut}"/> makes it an Rx operator.
/// </summary>
/// <typeparam name="TIn">What the stage takes.</typeparam>
/// <typeparam name="TOut">What it passes on.</typeparam>
internal interface IStage<TIn, TOut>
{
    /// <summary>Handles one element. Must not throw for any input: bad input is counted and dropped.</summary>
    void OnNext(in TIn value, IObserver<TOut> downstream);

    /// <summary>The input failed (a link broke); by default the error flows on.</summary>
    void OnError(Exception error, IObserver<TOut> downstream) => downstream.OnError(error);

    /// <summary>The input ended; by default completion flows on.</summary>
    void OnCompleted(IObserver<TOut> downstream) => downstream.OnCompleted();
}
