package proc

import "testing"

func TestDecideExit(t *testing.T) {
	custom := &Table{Array: []Value{"custom"}}
	tests := []struct {
		name        string
		trap        bool
		fromSelf    bool
		untrappable bool
		reason      Value
		action      exitAction
		dieWith     Value
	}{
		// exit(pid, "kill") cannot be trapped and ends the receiver as "killed".
		{name: "kill via exit/2", untrappable: true, reason: Kill, action: exitDie, dieWith: Killed},
		{name: "kill via exit/2 while trapping", trap: true, untrappable: true, reason: Kill, action: exitDie, dieWith: Killed},
		{name: "kill via exit/2 to self", fromSelf: true, untrappable: true, reason: Kill, action: exitDie, dieWith: Killed},
		{name: "kill via exit/2 to self while trapping", trap: true, fromSelf: true, untrappable: true, reason: Kill, action: exitDie, dieWith: Killed},

		// "kill" through a link is an ordinary reason.
		{name: "kill via link", reason: Kill, action: exitDie, dieWith: Kill},
		{name: "kill via link while trapping", trap: true, reason: Kill, action: exitDeliver},

		// A trapping process gets every other signal as a message, normal too.
		{name: "trap normal from other via exit/2", trap: true, untrappable: true, reason: Normal, action: exitDeliver},
		{name: "trap normal via link", trap: true, reason: Normal, action: exitDeliver},
		{name: "trap normal from self", trap: true, fromSelf: true, untrappable: true, reason: Normal, action: exitDeliver},
		{name: "trap error via exit/2", trap: true, untrappable: true, reason: "boom", action: exitDeliver},
		{name: "trap error via link", trap: true, reason: "boom", action: exitDeliver},
		{name: "trap killed via link", trap: true, reason: Killed, action: exitDeliver},
		{name: "trap table reason", trap: true, reason: custom, action: exitDeliver},

		// normal from another process is ignored; from itself it ends it.
		{name: "normal from other via exit/2", untrappable: true, reason: Normal, action: exitIgnore},
		{name: "normal via link", reason: Normal, action: exitIgnore},
		{name: "normal from self", fromSelf: true, untrappable: true, reason: Normal, action: exitDie, dieWith: Normal},

		// Any other reason ends the receiver with that reason.
		{name: "error via exit/2", untrappable: true, reason: "boom", action: exitDie, dieWith: "boom"},
		{name: "error via link", reason: "boom", action: exitDie, dieWith: "boom"},
		{name: "error from self", fromSelf: true, untrappable: true, reason: "boom", action: exitDie, dieWith: "boom"},
		{name: "killed via link", reason: Killed, action: exitDie, dieWith: Killed},
		{name: "noproc via link", reason: NoProc, action: exitDie, dieWith: NoProc},
		{name: "noconnection via link", reason: NoConnection, action: exitDie, dieWith: NoConnection},
		{name: "shutdown via exit/2", untrappable: true, reason: Shutdown, action: exitDie, dieWith: Shutdown},
		{name: "number reason", reason: 42.0, action: exitDie, dieWith: 42.0},
		{name: "nil reason", reason: nil, action: exitDie, dieWith: nil},
		{name: "table reason", untrappable: true, reason: custom, action: exitDie, dieWith: custom},
		{name: "slice reason is not kill", untrappable: true, reason: []string{"kill"}, action: exitDie},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action, dieWith := decideExit(tt.trap, tt.fromSelf, tt.untrappable, tt.reason)
			if action != tt.action {
				t.Fatalf("action = %v, want %v", action, tt.action)
			}
			if action != exitDie {
				if dieWith != nil {
					t.Errorf("reason = %v, want nil for a non-fatal action", dieWith)
				}
				return
			}
			if _, isSlice := tt.reason.([]string); isSlice {
				return // not comparable; the action is what matters
			}
			if dieWith != tt.dieWith {
				t.Errorf("reason = %#v, want %#v", dieWith, tt.dieWith)
			}
		})
	}
}
