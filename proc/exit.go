package proc

// exitAction is what an exit signal does to the process that receives it.
type exitAction uint8

const (
	exitIgnore  exitAction = iota // the signal has no effect
	exitDeliver                   // it becomes an EXIT message
	exitDie                       // the receiver ends
)

// decideExit is the whole of Erlang's exit-signal semantics, as a pure
// function. trap is the receiver's trap_exit flag; fromSelf says the
// receiver signalled itself (exit(self(), reason)); untrappable marks a
// signal sent by exit(pid, "kill"). It returns the action and, for
// exitDie, the reason the receiver ends with.
//
//   - "kill" sent by exit(pid, "kill") cannot be trapped: the receiver ends
//     with "killed". The same reason arriving through a link is an ordinary
//     reason.
//   - A process that traps exits gets every other signal as a message.
//   - "normal" from another process is ignored; from itself it ends it.
//   - Any other reason ends the receiver with that reason.
func decideExit(trap, fromSelf, untrappable bool, reason Value) (exitAction, Value) {
	switch {
	case untrappable && reason == Kill:
		return exitDie, Killed
	case trap:
		return exitDeliver, nil
	case reason == Normal && !fromSelf:
		return exitIgnore, nil
	default:
		return exitDie, reason
	}
}
