// Command pulumi-language-python is this project's own, minimal Pulumi language host for Python
// programs. The Go module proxy we may use refuses every version of the upstream host
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3: "403 This module version
// is not available"), so tools/pulumi/build.sh builds this one instead. It serves what the engine
// needs for `pulumi preview`, `up` and `destroy` of a pip/virtualenv project:
//
//   - Handshake, GetPluginInfo;
//
//   - GetRequiredPlugins / GetRequiredPackages: none, because build.sh installs every provider
//     plugin the program uses into PULUMI_HOME beforehand and the engine loads them on demand;
//
//   - Run: resolves the project's interpreter with the SDK's own python/toolchain package (the
//     `toolchain` and `virtualenv` runtime options of Pulumi.yaml) and runs the SDK's own
//     `pulumi-language-python-exec` driver (shipped in the sdk/v3 module, installed beside this
//     binary by build.sh) with the arguments and PULUMI_CONFIG environment that driver reads.
//
//   - RunPlugin: runs a Python plugin program, which is how the engine starts a Python policy
//     pack for `--policy-pack` (the pack's own virtualenv from PulumiPolicy.yaml), streaming its
//     output back (the engine reads the analyzer's port from it).
//
// Everything else (installing dependencies, `pulumi new` templates, code generation) answers
// Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// version is stamped by build.sh (-ldflags -X main.version=…).
var version = "0.0.0-dev"

// exitUserActionable is the driver's exit code after it has already shown the user the error.
const exitUserActionable = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu     sync.Mutex
	engine string
	root   string
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (
	*pulumirpc.LanguageHandshakeResponse, error,
) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engine = req.GetEngineAddress()
	}
	if req.RootDirectory != nil {
		h.root = req.GetRootDirectory()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (
	*pulumirpc.GetRequiredPluginsResponse, error,
) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (
	*pulumirpc.GetRequiredPackagesResponse, error,
) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// options reads the runtime options of Pulumi.yaml (`runtime.options`).
func options(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{
		Root:       info.GetRootDirectory(),
		ProgramDir: info.GetProgramDirectory(),
		Toolchain:  toolchain.Pip,
	}
	for key, value := range info.GetOptions().AsMap() {
		text, _ := value.(string)
		switch key {
		case "virtualenv":
			opts.Virtualenv = text
		case "toolchain":
			switch text {
			case "pip":
				opts.Toolchain = toolchain.Pip
			case "uv":
				opts.Toolchain = toolchain.Uv
			case "poetry":
				opts.Toolchain = toolchain.Poetry
			default:
				return opts, fmt.Errorf("unsupported python toolchain %q", text)
			}
		}
	}
	return opts, nil
}

// driver is the SDK's pulumi-language-python-exec, installed beside this binary.
func driver() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	path := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("the Python driver is missing beside the language host: %w", err)
	}
	return path, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return nil, errors.New("the engine sent no program info (this host needs Pulumi CLI 3.120 or later)")
	}
	opts, err := options(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	exe, err := driver()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	h.mu.Lock()
	engine := h.engine
	h.mu.Unlock()

	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args := []string{
		exe,
		"--monitor", req.GetMonitorAddress(),
		"--engine", engine,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
		"--root_directory", info.GetRootDirectory(),
	}
	if req.GetDryRun() {
		args = append(args, "--dry_run", "true")
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	configMap := req.GetConfig()
	if configMap == nil { // the driver wants a JSON object, never null
		configMap = map[string]string{}
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env,
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secrets),
		"PYTHONUNBUFFERED=1",
	)
	cmd.Dir = program(info, req.GetPwd())
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitUserActionable {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with exit code %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest,
	stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	info := req.GetInfo()
	if info == nil {
		info = &pulumirpc.ProgramInfo{RootDirectory: req.GetPwd(), ProgramDirectory: req.GetPwd(), EntryPoint: "."}
	}
	opts, err := options(info)
	if err != nil {
		return err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	// `python -u <dir>` runs the directory's __main__.py, as the policy SDK expects.
	args := append([]string{"-u", filepath.Join(info.GetProgramDirectory(), entry)}, req.GetArgs()...)
	cmd, err := tc.Command(stream.Context(), args...)
	if err != nil {
		return err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Dir = req.GetPwd()
	var send sync.Mutex
	cmd.Stdout = streamWriter(stream, &send, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	cmd.Stderr = streamWriter(stream, &send, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	code := 0
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = exit.ExitCode()
	}
	send.Lock()
	defer send.Unlock()
	return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// streamWriter forwards each write as one message (copied: the caller reuses its buffer).
func streamWriter(stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse], send *sync.Mutex,
	wrap func([]byte) *pulumirpc.RunPluginResponse,
) writerFunc {
	return func(b []byte) (int, error) {
		send.Lock()
		defer send.Unlock()
		if err := stream.Send(wrap(append([]byte(nil), b...))); err != nil {
			return 0, err
		}
		return len(b), nil
	}
}

func program(info *pulumirpc.ProgramInfo, pwd string) string {
	if pwd != "" {
		return pwd
	}
	return info.GetProgramDirectory()
}

// engineAddress is the engine's gRPC address: the last argument that is not a flag.
func engineAddress(args []string) string {
	address := ""
	for _, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			address = arg
		}
	}
	return address
}

func main() {
	h := &host{engine: engineAddress(os.Args[1:])}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}
