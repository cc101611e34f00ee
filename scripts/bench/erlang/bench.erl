%% Erlang/OTP reference micro-benchmarks for comparison with dlua.
%%
%% Local benchmarks (run.sh):
%%   erl -noshell -pa DIR -s bench main [all|spawn|spawn_blocked|idle_mem|pingpong|ring] -s init stop
%%
%% Distribution benchmarks (dist.sh), two nodes:
%%   server: erl -noshell -sname b@localhost ... -pa DIR -s bench dist_server
%%   client: erl -noshell -sname a@localhost ... -pa DIR -s bench dist_client b@localhost -s init stop
%%
%% Every result is printed on stdout as one line "name value unit".
%% Diagnostics (elapsed times, N) go to stderr.
-module(bench).

-export([main/0, main/1, dist_server/0, dist_server/1, dist_client/1]).
%% Spawned on the remote node by dist_client.
-export([echo_loop/0, sink_loop/1]).

%% Default sizes; each can be overridden by an environment variable
%% (BENCH_SPAWN_N, BENCH_MEM_N, BENCH_PINGPONG_N, BENCH_RING_SIZE,
%% BENCH_RING_HOPS, BENCH_DIST_PINGPONG_N, BENCH_DIST_ONEWAY_N).
-define(SPAWN_N, n("BENCH_SPAWN_N", 200000)).
-define(MEM_N, n("BENCH_MEM_N", 100000)).
-define(PINGPONG_N, n("BENCH_PINGPONG_N", 3000000)).
-define(RING_SIZE, n("BENCH_RING_SIZE", 1000)).
-define(RING_HOPS, n("BENCH_RING_HOPS", 6000000)).
-define(DIST_PINGPONG_N, n("BENCH_DIST_PINGPONG_N", 100000)).
-define(DIST_ONEWAY_N, n("BENCH_DIST_ONEWAY_N", 1000000)).
%% The distribution server halts by itself after this long no matter what.
-define(DIST_SERVER_TIMEOUT_MS, 300000).

%%--------------------------------------------------------------------
%% Entry points
%%--------------------------------------------------------------------

main() -> main([all]).

main([]) -> main([all]);
main(Args) ->
    info("otp ~s, erts ~s, schedulers_online ~p, process_limit ~p",
         [erlang:system_info(otp_release), erlang:system_info(version),
          erlang:system_info(schedulers_online),
          erlang:system_info(process_limit)]),
    lists:foreach(fun(A) -> run(to_atom(A)) end, Args).

run(all) ->
    lists:foreach(fun run/1, [spawn, spawn_blocked, idle_mem, pingpong, ring]);
run(spawn) ->
    T = warm_and_measure(fun() -> bench_spawn(?SPAWN_N) end),
    info("spawn: N=~p elapsed ~.3f s", [?SPAWN_N, T]),
    out("spawn_us", T * 1.0e6 / ?SPAWN_N, "us/process");
run(spawn_blocked) ->
    T = warm_and_measure(fun() -> bench_spawn_blocked(?SPAWN_N) end),
    info("spawn_blocked: N=~p elapsed ~.3f s (spawn all + kill all)", [?SPAWN_N, T]),
    out("spawn_blocked_kill_us", T * 1.0e6 / ?SPAWN_N, "us/process");
run(idle_mem) ->
    _ = isolated(fun() -> bench_idle_mem(?MEM_N) end),
    {Total, Procs, PerProc} = isolated(fun() -> bench_idle_mem(?MEM_N) end),
    info("idle_mem: N=~p", [?MEM_N]),
    out("idle_mem_total_bytes", Total / ?MEM_N, "bytes/process"),
    out("idle_mem_processes_bytes", Procs / ?MEM_N, "bytes/process"),
    out("idle_mem_process_info_bytes", PerProc, "bytes/process");
run(pingpong) ->
    T = warm_and_measure(fun() -> bench_pingpong(?PINGPONG_N) end),
    info("pingpong: N=~p elapsed ~.3f s", [?PINGPONG_N, T]),
    out("pingpong_rtps", ?PINGPONG_N / T, "roundtrips/s");
run(ring) ->
    T = warm_and_measure(fun() -> bench_ring(?RING_SIZE, ?RING_HOPS) end),
    info("ring: size=~p hops=~p elapsed ~.3f s", [?RING_SIZE, ?RING_HOPS, T]),
    out("ring_hops", ?RING_HOPS / T, "hops/s");
run(Other) ->
    info("unknown benchmark ~p", [Other]),
    erlang:halt(2).

%% Run the benchmark twice, each time in a fresh process; the first run is
%% the warm-up and is discarded. Returns seconds of the second run.
warm_and_measure(F) ->
    _ = isolated(F),
    isolated(F).

isolated(F) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit({result, F()}) end),
    receive
        {'DOWN', Ref, process, Pid, {result, R}} -> R;
        {'DOWN', Ref, process, Pid, Reason} ->
            info("benchmark crashed: ~p", [Reason]),
            erlang:halt(1)
    end.

%%--------------------------------------------------------------------
%% spawn: N processes that exit immediately; wait for all 'DOWN's.
%%--------------------------------------------------------------------

%% The spawning process keeps its message queue off-heap: with the default
%% on-heap queue, the 200000 queued 'DOWN' messages get copied by every GC
%% of the spawner and that cost (~5 us/process here) would dominate.
bench_spawn(N) ->
    process_flag(message_queue_data, off_heap),
    T0 = now_ns(),
    spawn_exiting(N),
    wait_down(N),
    secs(T0).

spawn_exiting(0) -> ok;
spawn_exiting(N) ->
    spawn_monitor(fun() -> ok end),
    spawn_exiting(N - 1).

wait_down(0) -> ok;
wait_down(N) ->
    receive {'DOWN', _, process, _, _} -> wait_down(N - 1) end.

%% spawn_blocked: N processes blocked in receive, then all killed; time
%% covers spawning all + killing all + observing all 'DOWN's.
bench_spawn_blocked(N) ->
    process_flag(message_queue_data, off_heap),
    T0 = now_ns(),
    Pids = spawn_blocked(N, []),
    lists:foreach(fun(P) -> exit(P, kill) end, Pids),
    wait_down(N),
    secs(T0).

spawn_blocked(0, Acc) -> Acc;
spawn_blocked(N, Acc) ->
    {Pid, _} = spawn_monitor(fun blocked/0),
    spawn_blocked(N - 1, [Pid | Acc]).

blocked() ->
    receive stop -> ok end.

%%--------------------------------------------------------------------
%% idle memory: N processes blocked in receive.
%% The pids are not kept on the measuring process's heap (that would add
%% 16 bytes/process); they are found again via erlang:processes/0.
%%--------------------------------------------------------------------

bench_idle_mem(N) ->
    erlang:garbage_collect(),
    Before = ordsets:from_list(erlang:processes()),
    erlang:garbage_collect(),
    timer:sleep(100),
    Tot0 = erlang:memory(total),
    Pr0 = erlang:memory(processes),
    spawn_idle(N),
    wait_all_waiting(),
    Tot1 = erlang:memory(total),
    Pr1 = erlang:memory(processes),
    New = ordsets:subtract(ordsets:from_list(erlang:processes()), Before),
    [Sample | _] = New,
    {memory, PerProc} = erlang:process_info(Sample, memory),
    lists:foreach(fun(P) -> exit(P, kill) end, New),
    wait_gone(length(Before)),
    {Tot1 - Tot0, Pr1 - Pr0, PerProc}.

spawn_idle(0) -> ok;
spawn_idle(N) ->
    spawn(fun blocked/0),
    spawn_idle(N - 1).

%% Let every freshly spawned process run up to its receive.
wait_all_waiting() ->
    timer:sleep(200),
    erlang:statistics(run_queue) =:= 0 orelse wait_all_waiting().

wait_gone(Count) ->
    case erlang:system_info(process_count) =< Count of
        true -> ok;
        false -> timer:sleep(10), wait_gone(Count)
    end.

%%--------------------------------------------------------------------
%% pingpong: two local processes, N round trips.
%%--------------------------------------------------------------------

bench_pingpong(N) ->
    Ponger = spawn_link(fun echo_loop/0),
    T0 = now_ns(),
    ping(Ponger, N),
    T = secs(T0),
    Ponger ! stop,
    T.

ping(_, 0) -> ok;
ping(P, N) ->
    P ! {self(), ping},
    receive pong -> ping(P, N - 1) end.

echo_loop() ->
    receive
        {From, ping} -> From ! pong, echo_loop();
        {From, ping, Payload} -> From ! {pong, Payload}, echo_loop();
        stop -> ok
    end.

%%--------------------------------------------------------------------
%% ring: Size processes in a ring, a token passed for Hops hops.
%%--------------------------------------------------------------------

bench_ring(Size, Hops) ->
    Self = self(),
    Pids = [spawn_link(fun() -> ring_init(Self) end) || _ <- lists:seq(1, Size)],
    [First | Rest] = Pids,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end,
                  lists:zip(Pids, Rest ++ [First])),
    T0 = now_ns(),
    First ! {token, Hops},
    receive ring_done -> ok end,
    T = secs(T0),
    lists:foreach(fun(P) -> P ! stop end, Pids),
    T.

ring_init(Parent) ->
    receive {next, Next} -> ring_loop(Parent, Next) end.

ring_loop(Parent, Next) ->
    receive
        {token, 0} -> Parent ! ring_done, ring_loop(Parent, Next);
        {token, K} -> Next ! {token, K - 1}, ring_loop(Parent, Next);
        stop -> ok
    end.

%%--------------------------------------------------------------------
%% Distribution
%%--------------------------------------------------------------------

%% Server node: stays up until the client node disconnects, or until
%% ?DIST_SERVER_TIMEOUT_MS has passed, then halts the node.
dist_server() -> dist_server([]).
dist_server(_) ->
    spawn(fun() ->
                  ok = net_kernel:monitor_nodes(true),
                  erlang:send_after(?DIST_SERVER_TIMEOUT_MS, self(), timeout),
                  dist_server_loop(nodes() =/= [])
          end),
    ok.

dist_server_loop(Seen) ->
    receive
        {nodeup, _} -> dist_server_loop(true);
        {nodedown, _} when Seen ->
            case nodes() of
                [] -> erlang:halt(0);
                _ -> dist_server_loop(Seen)
            end;
        {nodedown, _} -> dist_server_loop(Seen);
        timeout ->
            info("dist_server: timeout, halting", []),
            erlang:halt(3)
    end.

dist_client([ServerArg]) ->
    Server = to_atom(ServerArg),
    info("client ~p -> server ~p, otp ~s, schedulers_online ~p",
         [node(), Server, erlang:system_info(otp_release),
          erlang:system_info(schedulers_online)]),
    ok = connect(Server, 100),
    {RTPS, P50, P99} = isolated(fun() ->
        _ = dist_pingpong(Server, ?DIST_PINGPONG_N div 10),
        dist_pingpong(Server, ?DIST_PINGPONG_N)
    end),
    out("dist_pingpong_rtps", RTPS, "roundtrips/s"),
    out("dist_rtt_p50_us", P50, "us"),
    out("dist_rtt_p99_us", P99, "us"),
    MPS = isolated(fun() ->
        _ = dist_oneway(Server, ?DIST_ONEWAY_N div 10),
        dist_oneway(Server, ?DIST_ONEWAY_N)
    end),
    out("dist_oneway_msgs", MPS, "msgs/s"),
    ok.

connect(Server, 0) ->
    info("could not connect to ~p", [Server]),
    erlang:halt(1);
connect(Server, Tries) ->
    case net_adm:ping(Server) of
        pong -> ok;
        pang -> timer:sleep(100), connect(Server, Tries - 1)
    end.

%% Remote ping-pong; each round trip timed individually.
dist_pingpong(Server, N) ->
    Echo = spawn(Server, ?MODULE, echo_loop, []),
    T0 = now_ns(),
    Samples = rping(Echo, N, []),
    T = secs(T0),
    Echo ! stop,
    Sorted = list_to_tuple(lists:sort(Samples)),
    Pct = fun(Q) -> element(max(1, ceil(Q * N)), Sorted) / 1000 end,
    info("dist_pingpong: N=~p elapsed ~.3f s", [N, T]),
    {N / T, Pct(0.50), Pct(0.99)}.

rping(_, 0, Acc) -> Acc;
rping(P, N, Acc) ->
    T0 = erlang:monotonic_time(nanosecond),
    P ! {self(), ping},
    receive pong -> ok end,
    rping(P, N - 1, [erlang:monotonic_time(nanosecond) - T0 | Acc]).

%% One-way stream of N small messages to a remote sink, then a sync
%% message; the sink replies after it has received everything.
dist_oneway(Server, N) ->
    Sink = spawn(Server, ?MODULE, sink_loop, [0]),
    T0 = now_ns(),
    stream(Sink, N),
    Sink ! {self(), sync},
    receive {synced, Count} -> ok end,
    T = secs(T0),
    Count =:= N orelse info("dist_oneway: sink got ~p of ~p", [Count, N]),
    info("dist_oneway: N=~p elapsed ~.3f s", [N, T]),
    N / T.

stream(_, 0) -> ok;
stream(Sink, N) ->
    Sink ! {m, N},
    stream(Sink, N - 1).

sink_loop(Count) ->
    receive
        {m, _} -> sink_loop(Count + 1);
        {From, sync} -> From ! {synced, Count}
    end.

%%--------------------------------------------------------------------
%% Helpers
%%--------------------------------------------------------------------

now_ns() -> erlang:monotonic_time(nanosecond).

secs(T0) -> (now_ns() - T0) / 1.0e9.

out(Name, Value, Unit) ->
    io:format("~s ~.2f ~s~n", [Name, float(Value), Unit]).

info(Fmt, Args) ->
    io:format(standard_error, "# " ++ Fmt ++ "~n", Args).

n(Var, Default) ->
    case os:getenv(Var) of
        false -> Default;
        "" -> Default;
        V -> list_to_integer(V)
    end.

to_atom(A) when is_atom(A) -> A;
to_atom(A) when is_list(A) -> list_to_atom(A).
